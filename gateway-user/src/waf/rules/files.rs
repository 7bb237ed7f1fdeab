//! Path traversal / LFI (930xxx) and RFI / SSRF URL (931xxx) rules.
use super::pipelines::*;
use super::targets::*;
use super::{Category::Lfi, Category::Rfi, Check::*, RuleDef, Severity::*, rule};

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
                r##"(?:%(?:2e|c0%ae|e0%80%ae|u002e|uff0e|252e|25c0%25ae)|\.){2}(?:%(?:2f|5c|c0%af|c1%9c|e0%80%af|u2215|u2216|uefc8|uf025|252f|255c|25c0%25af))|%(?:2e|c0%ae|u002e|252e){2}(?:/|\\)"##,
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
                r##"(?:\.{2,}[\\/]+[^\\/]*){3}|\.\.;[\\/]|(?:^|[\\/=:'"\s])\.{2,}[\\/]+(?:etc|proc|windows|winnt|boot|usr|var|root|home|inetpub|web-inf|meta-inf)\b|\.{3,}[\\/]{2,}"##,
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
                r##"^\s*(?:[a-z]:)?[\\/]+(?:etc|proc|boot|root|sys|var[\\/]+(?:adm|mail|spool)|usr[\\/]+local[\\/]+etc|opt[\\/]+[^\s\\/]+[\\/]+(?:etc|logs))[\\/][^\s]*$|^\s*(?:[a-z]:)?[\\/][^\s]*?(?:\.(?:conf|cnf|ini|htaccess|htpasswd|passwd|asa|pdb)|[\\/](?:access|error)[_.]log|[\\/]\.(?:bashrc|bash_history|bash_profile|profile|netrc|rhosts|shosts|cshrc|forward|ssh[\\/][^\s]*)|[\\/](?:passwd|shadow|master\.passwd|web\.config|boot\.ini|win\.ini))\s*$|^\s*[\\/]\.(?:bashrc|bash_history|bash_profile|profile|netrc|rhosts|shosts|cshrc|forward|htpasswd|htaccess)\s*$"##,
            ),
            "Value is a path to a system, configuration or log file",
        ),
        rule(
            930120,
            Lfi,
            1,
            Critical,
            t,
            NORM_PATH,
            Regex(
                r##"/(?:etc/(?:passwd|shadow|group|gshadow|hosts|issue|motd|crontab|sudoers|hostname|resolv\.conf|fstab|profile|environment|inittab|master\.passwd|security/|ssh/|mysql/my\.cnf|apache2?/|nginx/|httpd/|php\d?/|network/|knockd\.conf|redis\.conf)|proc/(?:self|\d+)/(?:environ|cmdline|fd|maps|status|exe|cwd|root|mounts|stat)|proc/(?:version|cpuinfo|meminfo|net/)|var/log/(?:apache|nginx|httpd|auth|syslog|messages|secure|mail)|var/lib/mysql|root/\.|home/[^/\s]+/\.(?:ssh|bash_history|aws|gnupg))|(?:^|[\\/\s=:'"(>])(?:\.ssh/(?:id_[a-z0-9]+|authorized_keys|known_hosts)|\.bash_history|\.htpasswd|\.htaccess|\.git/(?:config|head|index)|\.svn/(?:entries|wc\.db)|\.env(?:$|[.\s'"])|web-inf/(?:web\.xml|classes|lib)|meta-inf/manifest|boot\.ini|win\.ini|system\.ini|(?:windows|winnt)/(?:system32|win\.ini|repair|debug|panther)|inetpub/|system32/(?:drivers|config|cmd\.exe)|wp-config\.php|localsettings\.php|\.aws/credentials|\.docker/config\.json|\.kube/config|\.npmrc|\.pgpass|\.my\.cnf)"##,
            ),
            "Access to a sensitive OS or application file",
        ),
        rule(
            930140,
            Lfi,
            1,
            Critical,
            t,
            DEC,
            Regex(r##"\b(?:file|netdoc)://"##),
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
                r##"\b(?:gopher|dict|tftp|netdoc)://|\bjar:(?:https?|file|ftp):|\b169\.254\.169\.254\b|\bmetadata\.google\.internal\b|\b100\.100\.100\.200\b|\[::ffff:a9fe:a9fe\]|\bfd00:ec2::254\b"##,
            ),
            "SSRF scheme or cloud metadata address",
        ),
        rule(
            931160,
            Rfi,
            2,
            Warning,
            ATTACK,
            DEC,
            Regex(r##"^\s*(?:https?|ftps?|ldaps?)://"##),
            "Value is a URL",
        ),
    ]
}
