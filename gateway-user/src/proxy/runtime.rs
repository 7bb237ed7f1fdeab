//! The immutable runtime snapshot built from a `Config` (routes, pools, stages, TLS
//! acceptors, limits), the state that outlives reloads (`Shared`), and `Gateway`,
//! which holds the current snapshot behind an `ArcSwap`.
use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex},
};

use arc_swap::ArcSwap;
use http::HeaderValue;
use ipnet::IpNet;
use tokio::task::JoinHandle;

use super::{
    conn_limit::ConnCounts,
    deps::{ServerTls, Telemetry},
    route::{CompiledRoute, RouteTable},
    stage::Stage,
    stages,
    upstream::{Pool, TargetHealth, spawn_health_checks},
};
use crate::{
    config::{Config, Limits},
    limit::{CompiledLimits, LimitError, Limiter, LimiterSlot},
};

/// Why a runtime could not be built from a (parsed) configuration.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A route is inconsistent.
    #[error("route `{route}`: {why}")]
    Route {
        /// Route name.
        route: String,
        /// What is wrong.
        why: String,
    },
    /// An upstream is inconsistent.
    #[error("upstream `{upstream}`: {why}")]
    Upstream {
        /// Upstream name.
        upstream: String,
        /// What is wrong.
        why: String,
    },
    /// A listener's TLS settings could not be loaded.
    #[error("listener `{listener}`: {source}")]
    Tls {
        /// Listener name.
        listener: String,
        /// The TLS error.
        source: super::deps::TlsError,
    },
    /// A setting is invalid.
    #[error("{0}")]
    Invalid(String),
    /// Plans or rate limits are inconsistent.
    #[error("rate limits: {0}")]
    Limits(#[from] LimitError),
}

/// State that outlives reloads: upstream health, connection counters, telemetry.
#[derive(Debug)]
pub struct Shared {
    /// Metrics and access log.
    pub telemetry: Arc<Telemetry>,
    health: Mutex<HashMap<(String, String), Arc<TargetHealth>>>,
    /// Open client connections and the limits in force.
    pub connections: Arc<ConnCounts>,
    /// The rate limiter in force; a reload reconfigures it, keeping its counters.
    pub limiter: Arc<LimiterSlot>,
    /// Worker threads serving connections (each gets its own upstream clients).
    pub workers: usize,
    /// Auth failures per client IP (the ban engine hooks in here) and JWKS caches.
    pub auth: crate::auth::AuthShared,
}

impl Shared {
    /// Fresh shared state for one worker thread.
    pub fn new(telemetry: Arc<Telemetry>) -> Self {
        Self::with_workers(telemetry, 1)
    }

    /// Fresh shared state for `workers` worker threads.
    pub fn with_workers(telemetry: Arc<Telemetry>, workers: usize) -> Self {
        Self {
            workers: workers.max(1),
            telemetry,
            health: Mutex::new(HashMap::new()),
            connections: Arc::new(ConnCounts::default()),
            limiter: Arc::default(),
            auth: crate::auth::AuthShared::default(),
        }
    }

    /// The health state of `target` in `upstream` (created healthy on first use).
    pub fn target_health(&self, upstream: &str, target: &str) -> Arc<TargetHealth> {
        let mut map = self.health.lock().unwrap_or_else(|p| p.into_inner());
        map.entry((upstream.to_string(), target.to_string()))
            .or_default()
            .clone()
    }
}

/// Security headers, parsed once.
#[derive(Debug, Clone)]
pub struct SecurityHeaderValues {
    /// Add them at all.
    pub enabled: bool,
    /// HSTS (TLS listeners only).
    pub hsts: HeaderValue,
    /// Referrer-Policy.
    pub referrer_policy: HeaderValue,
    /// X-Frame-Options.
    pub frame_options: HeaderValue,
}

/// An immutable snapshot of everything a request needs; swapped whole on reload.
pub struct Runtime {
    /// The configuration it was built from.
    pub config: Arc<Config>,
    /// Routes, most specific first.
    pub routes: Arc<RouteTable>,
    /// Upstream pools by name.
    pub pools: BTreeMap<String, Arc<Pool>>,
    /// The ordered request stages.
    pub stages: Vec<Box<dyn Stage>>,
    /// The rate limiter of this configuration (stores shared with the previous one).
    pub limiter: Arc<Limiter>,
    /// TLS of each TLS listener, by listener name.
    pub tls: HashMap<String, ServerTls>,
    /// Hygiene limits.
    pub limits: Limits,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("digest", &self.config.digest)
            .field("routes", &self.routes)
            .finish_non_exhaustive()
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        // The health checks of a replaced runtime stop with it.
        for t in self
            .tasks
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
        {
            t.abort();
        }
    }
}

impl Runtime {
    /// Compiles a configuration into a runtime; health state comes from `shared`.
    pub fn build(config: &Config, shared: &Shared) -> Result<Runtime, BuildError> {
        let mut pools = BTreeMap::new();
        for (name, up) in &config.upstreams {
            if up.targets.is_empty() {
                return Err(BuildError::Upstream {
                    upstream: name.clone(),
                    why: "has no targets".into(),
                });
            }
            for t in &up.targets {
                if t.addr.parse::<http::uri::Authority>().is_err()
                    || t.addr.rsplit_once(':').is_none()
                {
                    return Err(BuildError::Upstream {
                        upstream: name.clone(),
                        why: format!("target `{}` is not host:port", t.addr),
                    });
                }
            }
            let pool = Pool::new(name, up, shared.workers, |addr| {
                shared.target_health(name, addr)
            });
            pools.insert(name.clone(), Arc::new(pool));
        }
        let routes = config
            .routes
            .iter()
            .enumerate()
            .map(|(i, r)| CompiledRoute::compile(i, r, &pools))
            .collect::<Result<Vec<_>, _>>()?;
        let mut tls = HashMap::new();
        for l in &config.listeners {
            if let Some(t) = &l.tls {
                let built = ServerTls::build(t).map_err(|source| BuildError::Tls {
                    listener: l.name.clone(),
                    source,
                })?;
                tls.insert(l.name.clone(), built);
            }
        }
        let sh = &config.security_headers;
        let hv = |what: &str, v: &str| {
            HeaderValue::try_from(v).map_err(|_| {
                BuildError::Invalid(format!(
                    "security_headers.{what}: `{v}` is not a valid header value"
                ))
            })
        };
        let security = SecurityHeaderValues {
            enabled: sh.enabled,
            hsts: hv("hsts", &sh.hsts)?,
            referrer_policy: hv("referrer_policy", &sh.referrer_policy)?,
            frame_options: hv("frame_options", &sh.frame_options)?,
        };
        let routes = Arc::new(RouteTable::new(routes));
        let auth = stages::auth::AuthStage::build(config, &shared.auth)
            .map_err(|e| BuildError::Invalid(format!("auth: {e}")))?;
        let limits = Arc::new(CompiledLimits::compile(config)?);
        let limiter = Arc::new(match shared.limiter.load_full() {
            Some(current) => current.reconfigure(&config.rate_limit, &limits.plans)?,
            None => Limiter::new(&config.rate_limit, &limits.plans)?
                .with_events(shared.telemetry.clone()),
        });
        let rate_limit = stages::rate_limit::RateLimitStage {
            limiter: limiter.clone(),
            limits,
        };
        let waf = build_waf(config, shared)?;
        Ok(Runtime {
            config: Arc::new(config.clone()),
            stages: stages::build(config, &routes, &security, auth, rate_limit, waf),
            limiter,
            routes,
            pools,
            tls,
            limits: config.limits.clone(),
            trusted_proxies: config.client_ip.trusted_proxies.clone(),
            tasks: Mutex::new(Vec::new()),
        })
    }

    /// Starts background work of this runtime (active health checks); it stops when
    /// the runtime is dropped. Needs a tokio runtime.
    pub fn start(&self, shared: &Shared) {
        let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        for pool in self.pools.values() {
            for t in &pool.targets {
                shared.telemetry.metrics.set_upstream_health(
                    &pool.name,
                    &t.addr,
                    t.health.is_available(),
                );
            }
            tasks.extend(spawn_health_checks(pool, &shared.telemetry));
        }
    }
}

/// The WAF stage of a configuration, `None` when no route is inspected.
fn build_waf(
    config: &Config,
    shared: &Shared,
) -> Result<Option<stages::waf::WafStage>, BuildError> {
    Ok(
        compile_waf(config)?.map(|(engine, policies)| stages::waf::WafStage {
            engine: Arc::new(engine),
            policies,
            telemetry: shared.telemetry.clone(),
        }),
    )
}

/// Compiles the WAF engine and every route's policy, by route index (a bad
/// custom rule or an exclusion of an unknown rule fails here, and so fails
/// `gateway check`); `None` when no route is inspected. `gateway waf test`
/// judges a request with exactly what this returns.
pub fn compile_waf(
    config: &Config,
) -> Result<Option<(crate::waf::Engine, Vec<crate::waf::RoutePolicy>)>, BuildError> {
    let global = crate::config::waf_global(config);
    let uses_waf =
        global.mode != crate::waf::Mode::Off || config.routes.iter().any(|r| r.waf.is_some());
    if !uses_waf {
        return Ok(None);
    }
    let engine =
        crate::waf::Engine::compile(&global).map_err(|e| BuildError::Invalid(e.to_string()))?;
    let policies = config
        .routes
        .iter()
        .map(|r| match &r.waf {
            Some(rw) => engine.route_policy(rw).map_err(|e| BuildError::Route {
                route: r.name.clone(),
                why: e.to_string(),
            }),
            None => Ok(engine.default_policy()),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some((engine, policies)))
}

/// The running gateway: the current runtime snapshot and the state that outlives it.
#[derive(Debug)]
pub struct Gateway {
    /// Current runtime; each request loads it once and keeps it to the end.
    pub runtime: ArcSwap<Runtime>,
    /// State kept across reloads.
    pub shared: Arc<Shared>,
}

impl Gateway {
    /// A gateway serving `runtime` (whose background work is started).
    pub fn new(runtime: Runtime, shared: Arc<Shared>) -> Self {
        runtime.start(&shared);
        shared.connections.set_limits(&runtime.limits);
        shared.limiter.store(Some(runtime.limiter.clone()));
        Self {
            runtime: ArcSwap::from_pointee(runtime),
            shared,
        }
    }

    /// Installs a new runtime; requests in flight finish on the old one.
    pub fn swap(&self, runtime: Runtime) {
        runtime.start(&self.shared);
        self.shared.connections.set_limits(&runtime.limits);
        self.shared.limiter.store(Some(runtime.limiter.clone()));
        self.runtime.store(Arc::new(runtime));
    }

    /// Builds a runtime from `config` and swaps it in (what a reload applies); on
    /// error the running runtime is untouched. Listeners bound at startup stay.
    pub fn apply(&self, config: &Config) -> Result<(), BuildError> {
        let runtime = Runtime::build(config, &self.shared)?;
        self.swap(runtime);
        Ok(())
    }
}
