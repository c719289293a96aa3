import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Finding } from "../../src/model.js";
import { buildSignals } from "../../src/signals/build.js";
import {
  redactArgs,
  redactSignal,
  redactText,
  sanitizeText,
  truncateText,
} from "../../src/signals/redact.js";
import { renderEmail, renderJson, renderSnsMessage, renderSubject } from "../../src/signals/render.js";
import { finding } from "./finding-factory.js";

describe("sanitizeText", () => {
  it.each([
    ["ANSI colour (CSI)", "\x1b[1;31mred\x1b[0m", "red"],
    ["cursor movement", "a\x1b[2Kb\x1b[10;20Hc", "abc"],
    ["terminal title (OSC ... BEL)", "\x1b]0;pwned\x07text", "text"],
    ["hyperlink (OSC ... ST)", "\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\", "click"],
    ["C1 CSI", "a\x9b31mb", "ab"],
    ["line breaks and tabs become spaces", "a\nb\r\nc\td\u2028e", "a b  c d e"],
    ["other C0 and DEL", "a\x00b\x07c\x08d\x7fe", "abcde"],
    ["bidi overrides and isolates", "invoice\u202egnp.exe\u2066x\u2069", "invoicegnp.exex"],
    ["zero-width characters", "ad\u200bmin\u200d\ufeff", "admin"],
    ["Unicode tag characters", "ok\udb40\udc41\udb40\udc42", "ok"],
    ["soft hyphen and Hangul fillers", "cu\u00adrl\u3164", "curl"],
    ["combining grapheme joiner", "cu\u034frl", "curl"],
    ["emoji variation selector", "nc\ufe0f", "nc"],
    ["ideographic variation selector (supplementary)", "n\u{e0100}c", "nc"],
    ["Khmer inherent vowel", "wg\u17b4et", "wget"],
    ["Mongolian free variation selector and vowel separator", "so\u180bc\u180eat", "socat"],
    ["Hangul choseong/jungseong fillers and halfwidth filler", "a\u115f\u1160\uffa0b", "ab"],
    ["shorthand format controls and musical symbol formatting", "a\u{1bca0}\u{1d173}b", "ab"],
    ["unassigned default-ignorables (U+2065, U+FFF0, U+E0FFF)", "a\u2065\ufff0\u{e0fff}b", "ab"],
    ["interlinear annotation controls", "a\ufff9b\ufffac\ufffb", "abc"],
    ["lone surrogates", "a\ud800b\udc00c", "a\ufffdb\ufffdc"],
    ["unterminated OSC", "a\x1b]0;title", "a0;title"],
    ["emoji and accents survive", "caf\u00e9 \u{1f600}", "caf\u00e9 \u{1f600}"],
  ])("%s", (_name, input, expected) => {
    expect(sanitizeText(input)).toBe(expected);
  });

  it("never throws and leaves no control character, whatever the input", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (input) => {
        const out = sanitizeText(input);
        const forbidden = [...out].filter((c) => {
          const code = c.codePointAt(0) ?? 0;
          return (
            code < 0x20 ||
            (code >= 0x7f && code <= 0x9f) ||
            /[\u202a-\u202e\u2066-\u2069\u200b-\u200f]/.test(c)
          );
        });
        expect(forbidden).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it("returns an empty string for a non-string", () => {
    expect(sanitizeText(undefined as unknown as string)).toBe("");
  });
});

describe("redactText", () => {
  it.each([
    ["curl -H bearer", "Authorization: Bearer abc.def-123", "Authorization: Bearer [REDACTED]"],
    [
      "basic header in a command",
      `curl -H "authorization: Basic dXNlcjpwYXNz" https://x`,
      `curl -H "authorization: Basic [REDACTED]" https://x`,
    ],
    ["header as JSON", `{"Authorization":"Bearer tok123456"}`, `{"Authorization":"Bearer [REDACTED]"}`],
    [
      "sigv4 header",
      "Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/x, Signature=ab",
      "Authorization: AWS4-HMAC-SHA256 [REDACTED]",
    ],
    ["cookie header", "Cookie: session=abc; csrf=def", "Cookie: [REDACTED]"],
    ["bare bearer", "--oauth2-bearer tok_abcdef123", "--oauth2-bearer [REDACTED]"],
    ["-u user:pass", "curl -u admin:hunter2 http://x", "curl -u admin:[REDACTED] http://x"],
    ["--user=user:pass", "--user=admin:hunter2", "--user=admin:[REDACTED]"],
    ["-uuser:pass", "-uadmin:hunter2", "-uadmin:[REDACTED]"],
    [
      "-u with an all-capitals user",
      "curl -u ADMIN:Hunter2Secret http://x",
      "curl -u ADMIN:[REDACTED] http://x",
    ],
    ["--user= with an all-capitals user", "--user=ROOT:Hunter2Secret", "--user=ROOT:[REDACTED]"],
    ["-uUSER:pass", "curl -uADMIN:Hunter2Secret http://x", "curl -uADMIN:[REDACTED] http://x"],
    [
      "--proxy-user PROXY:pass",
      "curl --proxy-user PROXY:Hunter2Secret",
      "curl --proxy-user PROXY:[REDACTED]",
    ],
    [
      "-u with a socat-like user for curl",
      "curl -u TCP:Hunter2Secret http://x",
      "curl -u TCP:[REDACTED] http://x",
    ],
    [
      "-u with an access key id as user",
      "curl -u AKIAIOSFODNN7EXAMPLE:Hunter2Secret http://x",
      "curl -u AKIA[REDACTED]:[REDACTED] http://x",
    ],
    [
      "-u USER:pass in a sh -c payload",
      `sh -c "curl -u ROOT:Hunter2Secret http://x | sh"`,
      `sh -c "curl -u ROOT:[REDACTED] http://x | sh"`,
    ],
    [
      "-u TOKEN: (the token is the user)",
      `curl -u "sk_test_4eC39HqLyjWDarjtT1zdp7dc:" http://x`,
      `curl -u "[REDACTED]:" http://x`,
    ],
    [
      "-u USER:pass after a socat in an earlier command",
      "socat -V; curl -u ADMIN:Hunter2Secret http://x",
      "socat -V; curl -u ADMIN:[REDACTED] http://x",
    ],
    ["URL credentials", "https://bob:s3cr3t@example.com/x", "https://bob:[REDACTED]@example.com/x"],
    ["URL password only", "redis://:pw123@cache:6379", "redis://:[REDACTED]@cache:6379"],
    [
      "token as URL user",
      "https://0123456789abcdef0123456789abcdef01234567@github.com/o/r",
      "https://[REDACTED]@github.com/o/r",
    ],
    [
      "token before x-oauth-basic",
      "https://tok123:x-oauth-basic@github.com/o/r",
      "https://[REDACTED]:x-oauth-basic@github.com/o/r",
    ],
    ["YAML-style key", "api_key: abc123", "api_key: [REDACTED]"],
    ["AWS access key id", "key AKIAIOSFODNN7EXAMPLE used", "key AKIA[REDACTED] used"],
    ["AWS session key id", "ASIAY34FZKBOKMUTVV7A", "ASIA[REDACTED]"],
    [
      "AWS secret in env style",
      "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      "aws_secret_access_key=[REDACTED]",
    ],
    [
      "AWS secret via aws configure",
      "aws configure set aws_secret_access_key wJalrXUtnFEMI",
      "aws configure set aws_secret_access_key [REDACTED]",
    ],
    ["query string", "https://h/?a=1&token=abc&b=2", "https://h/?a=1&token=[REDACTED]&b=2"],
    [
      "query inside another value",
      "url=https://h/?access_token=abc",
      "url=https://h/?access_token=[REDACTED]",
    ],
    [
      "presigned URL",
      "https://b.s3/x?X-Amz-Credential=AKIAX%2F1&X-Amz-Signature=ab12",
      "https://b.s3/x?X-Amz-Credential=[REDACTED]&X-Amz-Signature=[REDACTED]",
    ],
    [
      "env assignments",
      "DB_PASSWORD=x1 API_KEY=x2 MYSQL_PWD=x3 passwd=x4 apikey=x5 secret=x6",
      "DB_PASSWORD=[REDACTED] API_KEY=[REDACTED] MYSQL_PWD=[REDACTED] passwd=[REDACTED] apikey=[REDACTED] secret=[REDACTED]",
    ],
    ["JSON body", `-d '{"password": "a b", "user":"x"}'`, `-d '{"password": "[REDACTED]", "user":"x"}'`],
    ["long option with space", "--password hunter2 --verbose", "--password [REDACTED] --verbose"],
    ["quoted option value", `--token "a b c" next`, `--token "[REDACTED]" next`],
    [
      "private key block",
      "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY----- tail",
      "[REDACTED PRIVATE KEY] tail",
    ],
    ["unterminated private key", "x -----BEGIN RSA PRIVATE KEY----- MIIEow", "x [REDACTED PRIVATE KEY]"],
    ["GitHub token", "ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_[REDACTED]"],
    ["Slack token", "xoxb-1234567890-abcdefghijkl", "xoxb-[REDACTED]"],
    ["JWT", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl", "[REDACTED]"],
    ["--password=", "mysql -u app --password=Hunter2Secret db", "mysql -u app --password=[REDACTED] db"],
    [
      "PASSWORD= env style",
      "env PASSWORD=Hunter2Secret PGPASSWORD=x2 ./run",
      "env PASSWORD=[REDACTED] PGPASSWORD=[REDACTED] ./run",
    ],
    ["mysql -pPASSWORD", "mysql -uroot -pHunter2Secret -h db shop", "mysql -uroot -p[REDACTED] -h db shop"],
    [
      "mariadb-dump -p'…'",
      "mariadb-dump -u root -p'Hunter 2' shop",
      "mariadb-dump -u root -p'[REDACTED]' shop",
    ],
    [
      "sshpass -p, not ssh's port",
      "sshpass -p Hunter2Secret ssh -p 2222 host",
      "sshpass -p [REDACTED] ssh -p 2222 host",
    ],
    [
      "sshpass after sudo",
      "sudo sshpass -pHunter2Secret scp a host:",
      "sudo sshpass -p[REDACTED] scp a host:",
    ],
    ["redis-cli -a", "redis-cli -h cache -a Hunter2Secret ping", "redis-cli -h cache -a [REDACTED] ping"],
    [
      "ldapsearch -w",
      "ldapsearch -x -D cn=admin -w Hunter2Secret -H ldap://dc",
      "ldapsearch -x -D cn=admin -w [REDACTED] -H ldap://dc",
    ],
    [
      "hydra -p",
      "hydra -l admin -p Hunter2Secret ssh://10.0.0.5",
      "hydra -l admin -p [REDACTED] ssh://10.0.0.5",
    ],
    [
      "smbclient -U user%pass",
      "smbclient //fs/share -U admin%Hunter2Secret",
      "smbclient //fs/share -U admin%[REDACTED]",
    ],
    [
      "openssl -passin pass:",
      "openssl pkcs12 -in a.p12 -passin pass:Hunter2Secret",
      "openssl pkcs12 -in a.p12 -passin pass:[REDACTED]",
    ],
    ["7z -pPASSWORD", "7z x -pHunter2Secret loot.7z", "7z x -p[REDACTED] loot.7z"],
    [
      "curl -E cert:password",
      "curl -E client.pem:Hunter2Secret https://x",
      "curl -E client.pem:[REDACTED] https://x",
    ],
    [
      "Authorization:Basic, no space",
      "curl -H Authorization:Basic dXNlcjpwYXNz",
      "curl -H Authorization:Basic [REDACTED]",
    ],
    [
      "-HAuthorization: glued to its option",
      "curl '-HAuthorization: Bearer Hunter2Secret' x",
      "curl '-HAuthorization: Bearer [REDACTED]' x",
    ],
    [
      "x-api-key:, no space",
      "curl -H x-api-key:Hunter2Secret http://x",
      "curl -H x-api-key:[REDACTED] http://x",
    ],
    [
      "quoted X-Api-Key:, no space",
      "curl -H 'X-Api-Key:Hunter2Secret' http://x",
      "curl -H 'X-Api-Key:[REDACTED]' http://x",
    ],
    ["-HX-Api-Key: glued", "curl -HX-Api-Key:Hunter2Secret http://x", "curl -HX-Api-Key:[REDACTED] http://x"],
    [
      "wget --header=",
      "wget --header=X-Auth-Token:Hunter2Secret http://x",
      "wget --header=X-Auth-Token:[REDACTED] http://x",
    ],
    ["curl -b cookie data", "curl -b session=Hunter2Secret http://x", "curl -b [REDACTED] http://x"],
    [
      "curl --cookie 'a=b; c=d'",
      "curl --cookie 'sid=Hunter2Secret; x=1' http://x",
      "curl --cookie '[REDACTED]' http://x",
    ],
    ["curl --cookie=", "curl --cookie=sid=Hunter2Secret http://x", "curl --cookie=[REDACTED] http://x"],
    [
      "long session cookie header",
      `curl -H "Cookie: session=${"Ab9".repeat(200)}; theme=dark" http://x`,
      `curl -H "Cookie: [REDACTED]" http://x`,
    ],
    [
      "URL password with an encoded @",
      "https://user:pa%40Hunter2Secret@host/x",
      "https://user:[REDACTED]@host/x",
    ],
    ["URL password with a raw @", "https://user:pa@Hunter2Secret@host/x", "https://user:[REDACTED]@host/x"],
    [
      "?access_token=",
      "https://h/x?access_token=Hunter2Secret&page=2",
      "https://h/x?access_token=[REDACTED]&page=2",
    ],
    [
      "S3 presigned URL",
      "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20240501%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Expires=3600&X-Amz-Security-Token=IQoJb3&X-Amz-Signature=ab12cd",
      "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=[REDACTED]&X-Amz-Expires=3600&X-Amz-Security-Token=[REDACTED]&X-Amz-Signature=[REDACTED]",
    ],
    [
      "Azure SAS signature",
      "https://a.blob.core.windows.net/c/b?sv=2022-11-02&sig=Hunter2Secret%3D",
      "https://a.blob.core.windows.net/c/b?sv=2022-11-02&sig=[REDACTED]",
    ],
    ["aws_session_token", "aws_session_token = IQoJb3JpZ2luHunter2Secret", "aws_session_token = [REDACTED]"],
    [
      "AWS_SESSION_TOKEN=",
      "export AWS_SESSION_TOKEN='IQoJb3JpZ2luHunter2Secret'",
      "export AWS_SESSION_TOKEN='[REDACTED]'",
    ],
    ["JWT after an underscore", "x_eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl", "x_[REDACTED]"],
    ["token longer than 4096 characters", `--token "${"t".repeat(5000)}" next`, `--token "[REDACTED]" next`],
    ["password longer than 4096 characters", `curl -u bob:${"p".repeat(5000)} x`, "curl -u bob:[REDACTED] x"],
  ])("masks %s", (_name, input, expected) => {
    expect(redactText(input)).toBe(expected);
  });

  it.each([
    ["nc UDP flag", "nc -u 10.0.0.5 53"],
    ["socat unidirectional address", "socat -u TCP:db.internal:5432 -"],
    ["socat address in lower case", "socat -u tcp4:db.internal:5432 -"],
    [
      "socat reverse address after sudo and options",
      "sudo /usr/bin/socat -d -d -U TCP-LISTEN:8080,fork EXEC:/bin/sh",
    ],
    ["socat address in a sh -c payload", `sh -c 'socat -u OPENSSL:db.internal:443,verify=0 STDOUT'`],
    ["user agent", "--user-agent=Mozilla/5.0:x"],
    ["user without password", "https://git@github.com/org/repo.git"],
    ["working directory", "PWD=/app OLDPWD=/"],
    ["image reference", "ghcr.io/acme/secret-store:1.4.2 registry/auth-token-api:v3"],
    ["token file (a path, not a secret)", "--token-file /var/run/secrets/token"],
    ["plain download", "curl -fsSL https://example.com/install.sh -o /tmp/i.sh"],
    ["metadata endpoint", "http://169.254.169.254/latest/meta-data/iam/security-credentials/"],
    ["nc and ssh ports", "nc -p 4444 -l; ssh -p 2222 host"],
    ["mysql -p alone (it prompts; the next word is the database)", "mysql -u root -p shop"],
    ["wget -p (page requisites)", "wget -p http://example.com/"],
    ["harmless headers", "curl -H 'Accept:application/json' -H Content-Type:text/plain http://x"],
    ["cookie jar file", "curl -b /tmp/cookies.txt -c /tmp/cookies.txt http://x"],
    ["ordinary key=value flags", "--mode=fast --key-size=2048 --tokenizer=bert --timeout=5 --max-time=10"],
    ["openssl password from a file", "openssl rsa -in k.pem -passin file:/run/secrets/pw"],
    ["image with port mapping", "docker run -p 8080:80 ghcr.io/acme/api-key-service:1.2"],
  ])("leaves %s alone", (_name, input) => {
    expect(redactText(input)).toBe(input);
  });

  it("is idempotent", () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.oneof(
            fc.constantFrom(
              "password=",
              "-u ",
              "a:b",
              "@",
              "://",
              "Authorization: ",
              "Bearer ",
              "'",
              '"',
              " ",
              "AKIA",
              "sshpass ",
              "mysql ",
              "socat ",
              "-p",
              "-H ",
              "x-api-key:",
              "--cookie ",
              "%",
              "|",
              "TCP",
            ),
            fc.string({ maxLength: 3 }),
          ),
          maxLength: 20,
        }),
        (input) => {
          const once = redactText(input);
          expect(redactText(once)).toBe(once);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("does bounded work on hostile 1 MB inputs", () => {
    const M = 1_000_000;
    const hostile = [
      "a".repeat(M),
      "a=".repeat(M / 2),
      "x://a:".repeat(M / 6),
      "\x1b]".repeat(M / 2),
      "-----BEGIN RSA PRIVATE KEY-----".repeat(M / 31),
      "bearer ".repeat(M / 7),
      'password="'.repeat(M / 10),
      "--token ".repeat(M / 8),
      "-u a:".repeat(M / 5),
      "eyJ".repeat(M / 3),
      `${"k".repeat(200)}=`.repeat(M / 201),
      `sshpass ${"-p x ".repeat(M / 5)}`,
      `mysql ${"-p".repeat(M / 2)}`,
      "-HX-Api-Key:".repeat(M / 12),
      "--cookie ".repeat(M / 9),
      `https://u:${"@".repeat(M)}`,
      "a.b.c.d.e.f.g.h://u:p".repeat(M / 20),
      "socat -u ".repeat(M / 9),
      "|;&(".repeat(M / 4),
    ];
    for (const text of hostile) redactText(text);
    // About 2 s on 2 cores; one quadratic pattern alone would take minutes, past the test timeout (the guard).
  });
});

describe("redactArgs", () => {
  it.each([
    ["curl -u", "curl", ["-u", "admin:pw1", "http://x"], ["-u", "admin:[REDACTED]", "http://x"]],
    ["curl --user", "curl", ["--user", "admin:pw1"], ["--user", "admin:[REDACTED]"]],
    ["curl -U proxy user", "curl", ["-U", "proxy:pw1"], ["-U", "proxy:[REDACTED]"]],
    ["curl -H api key", "curl", ["-H", "X-Api-Key: k1"], ["-H", "X-Api-Key: [REDACTED]"]],
    [
      "curl -H bearer",
      "curl",
      ["-H", "Authorization: Bearer t1"],
      ["-H", "Authorization: Bearer [REDACTED]"],
    ],
    ["curl -H harmless", "curl", ["-H", "Accept: */*"], ["-H", "Accept: */*"]],
    ["curl -E cert:password", "curl", ["-E", "client.pem:pw1"], ["-E", "client.pem:[REDACTED]"]],
    ["curl -b cookie", "curl", ["-b", "sid=abc"], ["-b", "[REDACTED]"]],
    ["curl -b cookie file", "curl", ["-b", "/tmp/jar"], ["-b", "/tmp/jar"]],
    ["wget --password", "wget", ["--password", "pw1", "http://x"], ["--password", "[REDACTED]", "http://x"]],
    ["wget --http-password=", "wget", ["--http-password=pw1"], ["--http-password=[REDACTED]"]],
    [
      "ncftpget -p",
      "ncftpget",
      ["-u", "bob", "-p", "pw1", "host"],
      ["-u", "bob", "-p", "[REDACTED]", "host"],
    ],
    ["lftp -u user,pass", "lftp", ["-u", "bob,pw1", "host"], ["-u", "bob,[REDACTED]", "host"]],
    ["nc -p is a port", "nc", ["-p", "4444", "-l"], ["-p", "4444", "-l"]],
    ["nc -u is UDP", "nc", ["-u", "10.0.0.5", "53"], ["-u", "10.0.0.5", "53"]],
    ["socat -u address", "socat", ["-u", "TCP:host:80", "-"], ["-u", "TCP:host:80", "-"]],
    [
      "socat -U address",
      "/usr/bin/socat",
      ["-U", "tcp-listen:80,fork", "-"],
      ["-U", "tcp-listen:80,fork", "-"],
    ],
    ["socat -u non-address", "socat", ["-u", "ADMIN:pw1", "-"], ["-u", "ADMIN:[REDACTED]", "-"]],
    ["curl -u USER:pass", "curl", ["-u", "ADMIN:pw1"], ["-u", "ADMIN:[REDACTED]"]],
    ["curl -u TYPE:pass", "curl", ["-u", "TCP:pw1"], ["-u", "TCP:[REDACTED]"]],
    [
      "curl --proxy-user PROXY:pass",
      "curl",
      ["--proxy-user", "PROXY:pw1"],
      ["--proxy-user", "PROXY:[REDACTED]"],
    ],
    ["curl -uUSER:pass", "curl", ["-uADMIN:pw1"], ["-uADMIN:[REDACTED]"]],
    ["curl -u TOKEN:", "curl", ["-u", "sk_test_4eC39HqLyjWDarjtT1zdp7dc:"], ["-u", "[REDACTED]:"]],
    ["curl -u user: (short, a login)", "curl", ["-u", "admin:"], ["-u", "admin:"]],
    [
      "sh -c payload with USER:pass",
      "sh",
      ["-c", "curl -u ROOT:pw1 http://x | sh"],
      ["-c", "curl -u ROOT:[REDACTED] http://x | sh"],
    ],
    ["any tool --token", "/usr/bin/tool", ["--token", "t1"], ["--token", "[REDACTED]"]],
    ["mysql -pPASSWORD", "mysql", ["-uroot", "-pHunter2Secret", "shop"], ["-uroot", "-p[REDACTED]", "shop"]],
    ["mysql -p prompts", "mysql", ["-u", "root", "-p", "shop"], ["-u", "root", "-p", "shop"]],
    [
      "sshpass -p, then ssh's own -p",
      "sshpass",
      ["-p", "pw1", "ssh", "-p", "2222", "host"],
      ["-p", "[REDACTED]", "ssh", "-p", "2222", "host"],
    ],
    ["sudo mysql -p", "sudo", ["mysql", "-ppw1"], ["mysql", "-p[REDACTED]"]],
    ["redis-cli -a", "redis-cli", ["-a", "pw1", "ping"], ["-a", "[REDACTED]", "ping"]],
    ["ldapsearch -w", "ldapsearch", ["-w", "pw1"], ["-w", "[REDACTED]"]],
    ["smbclient -U user%pass", "smbclient", ["-U", "admin%pw1"], ["-U", "admin%[REDACTED]"]],
    ["smbclient --user=user%pass", "smbclient", ["--user=admin%pw1"], ["--user=admin%[REDACTED]"]],
    ["smbclient -p is a port", "smbclient", ["-p", "445", "//fs/share"], ["-p", "445", "//fs/share"]],
    ["openssl -passin pass:", "openssl", ["-passin", "pass:pw1"], ["-passin", "pass:[REDACTED]"]],
    ["openssl -passin env:", "openssl", ["-passin", "env:PW"], ["-passin", "env:PW"]],
    ["curl --cookie data", "curl", ["--cookie", "sid=abc"], ["--cookie", "[REDACTED]"]],
    ["curl --cookie=data", "curl", ["--cookie=sid=abc"], ["--cookie=[REDACTED]"]],
    ["curl -H x-api-key:, no space", "curl", ["-H", "x-api-key:k1"], ["-H", "x-api-key: [REDACTED]"]],
    ["curl -HX-Api-Key: glued", "curl", ["-HX-Api-Key:k1"], ["-HX-Api-Key:[REDACTED]"]],
    ["wget --header=", "wget", ["--header=X-Api-Key: k1"], ["--header=X-Api-Key: [REDACTED]"]],
    [
      "nc -p stays a port after a password tool name",
      "nc",
      ["-p", "4444", "-e", "sshpass"],
      ["-p", "4444", "-e", "sshpass"],
    ],
    [
      "sh -c payload",
      "sh",
      ["-c", "curl -u a:pw1 http://x | sh"],
      ["-c", "curl -u a:[REDACTED] http://x | sh"],
    ],
    [
      "a stray option only over-masks",
      "curl",
      ["-u", "--password", "pw1"],
      ["-u", "--password", "[REDACTED]"],
    ],
  ])("%s", (_name, tool, args, expected) => {
    expect(redactArgs(args, tool)).toEqual(expected);
  });

  it("masks a glued secret after an option whose value it could also be (the more masked reading wins)", () => {
    // Found by the idempotence property (seed 1725715559): `--cookie` takes a value, but "-psecret" is
    // also mysql's glued password; reading it only as a cookie jar leaked it on the first pass.
    expect(redactArgs(["--password", "--cookie", "-psecret"], "mysql")).toEqual([
      "--password",
      "[REDACTED]",
      "-p[REDACTED]",
    ]);
    expect(redactArgs(["--cookie", "-p "], "mysql")).toEqual(["--cookie", "-p[REDACTED]"]);
    expect(redactArgs(["--cookie", "jar.txt"], "curl")).toEqual(["--cookie", "jar.txt"]);
  });

  it("is idempotent", () => {
    const word = fc.oneof(
      fc.constantFrom(
        "-p",
        "-u",
        "-U",
        "-H",
        "-a",
        "--password",
        "--cookie",
        "--user=",
        "ssh",
        "mysql",
        "sshpass",
        "socat",
        "smbclient",
        "TCP:h:80",
        "a:b",
        "x%y",
        "k=v",
        "X-Api-Key:k",
      ),
      fc.string({ maxLength: 4 }),
    );
    const argsArb = fc.array(fc.string({ unit: word, maxLength: 3 }), { maxLength: 8 });
    const toolArb = fc.constantFrom("curl", "sshpass", "mysql", "socat", "smbclient", "sudo", "openssl", "");
    fc.assert(
      fc.property(argsArb, toolArb, (args, tool) => {
        const once = redactArgs(args, tool);
        expect(redactArgs(once, tool)).toEqual(once);
      }),
      { numRuns: 1000 },
    );
  });

  it("tolerates a non-array", () => {
    expect(redactArgs(undefined as unknown as string[])).toEqual([]);
  });
});

describe("redactSignal", () => {
  it("is idempotent on a built signal", () => {
    const f = finding();
    f.event.process.args = ["-u", "admin:pw1", "-H", "Authorization: Bearer t1", "https://a:b@h/?token=x"];
    const [signal] = buildSignals([f]);

    expect(redactSignal(signal!)).toEqual(signal);
  });
});

// Secrets are letters and digits framed by "Zx…Q9", so they cannot occur by chance in fixed text.
const alnum = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"];
const upper = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"];
const secretArb = fc
  .string({ unit: fc.constantFrom(...alnum), minLength: 10, maxLength: 36 })
  .map((s) => `Zx${s}Q9`);

interface Planted {
  secret: string;
  argv: string[];
}

// Every kind of login name: lower, mixed and all-capitals case, digits, access key ids. Never a socat
// address type (`socat -u TCP:host:80` is an address, not a login), which has tests of its own.
const SOCAT_TYPE_LIKE =
  /^(?:tcp|udp|sctp|dccp|openssl|ssl|dtls|ip|unix|abstract|local|vsock|socket|socks|proxy|exec|system|shell|open|gopen|creat|file|pipe|fd|accept|pty|readline|std|tun|interface|posixmq)/i;
const userArb = fc
  .oneof(
    fc.constantFrom("admin", "ADMIN", "ROOT", "Admin", "svc-deploy", "DEPLOY-BOT", "USER1", "u", "1000"),
    fc.string({ unit: fc.constantFrom(...upper), minLength: 1, maxLength: 12 }),
    fc.string({ unit: fc.constantFrom(...alnum, "-", "_", "."), minLength: 1, maxLength: 12 }),
    fc.string({ unit: fc.constantFrom(...upper), minLength: 16, maxLength: 16 }).map((s) => `AKIA${s}`),
  )
  .filter((user) => !SOCAT_TYPE_LIKE.test(user));
const userPasswordOptions = ["-u", "--user", "-U", "--proxy-user"];

const plantedArb: fc.Arbitrary<Planted> = fc.oneof(
  secretArb.map((s) => ({ secret: s, argv: ["-H", `Authorization: Bearer ${s}`] })),
  secretArb.map((s) => ({ secret: s, argv: ["--header", `authorization: Basic ${s}`] })),
  secretArb.map((s) => ({ secret: s, argv: ["-H", `X-Api-Key: ${s}`] })),
  fc
    .tuple(secretArb, userArb, fc.constantFrom(...userPasswordOptions))
    .map(([s, user, option]) => ({ secret: s, argv: [option, `${user}:${s}`] })),
  fc
    .tuple(secretArb, userArb, fc.constantFrom("-u", "--user=", "--proxy-user="))
    .map(([s, user, option]) => ({ secret: s, argv: [`${option}${user}:${s}`] })),
  secretArb.map((s) => ({ secret: s, argv: [`https://admin:${s}@example.com/path`] })),
  fc
    .string({ unit: fc.constantFrom(...upper), minLength: 14, maxLength: 14 })
    .map((s) => ({ secret: `AKIAZX${s}`, argv: [`AKIAZX${s}`] })),
  secretArb.map((s) => ({ secret: s, argv: [`aws_secret_access_key=${s}`] })),
  secretArb.map((s) => ({ secret: s, argv: ["-e", `AWS_SECRET_ACCESS_KEY=${s}`] })),
  fc
    .tuple(
      secretArb,
      fc.constantFrom("password", "passwd", "pwd", "token", "secret", "api_key", "apikey", "access_token"),
    )
    .map(([s, key]) => ({ secret: s, argv: [`https://example.com/a?x=1&${key}=${s}&y=2`] })),
  secretArb.map((s) => ({
    secret: s,
    argv: ["--data-binary", `-----BEGIN RSA PRIVATE KEY-----\nMIIB${s}\n-----END RSA PRIVATE KEY-----`],
  })),
  secretArb.map((s) => ({ secret: s, argv: [`ghp_${s}0123456789abcdefghijklmnopqrstuvwxyz`.slice(0, 40)] })),
  secretArb.map((s) => ({ secret: s, argv: [`xoxb-${s}`] })),
  secretArb.map((s) => ({ secret: s, argv: ["sshpass", "-p", s, "ssh", "-p", "2222"] })),
  secretArb.map((s) => ({ secret: s, argv: ["mysql", "-uroot", `-p${s}`, "shop"] })),
  secretArb.map((s) => ({ secret: s, argv: ["redis-cli", "-a", s, "ping"] })),
  secretArb.map((s) => ({ secret: s, argv: ["smbclient", "-U", `admin%${s}`] })),
  secretArb.map((s) => ({ secret: s, argv: ["--password", s] })),
  secretArb.map((s) => ({ secret: s, argv: [`--password=${s}`] })),
  secretArb.map((s) => ({ secret: s, argv: ["-H", `x-api-key:${s}`] })),
  secretArb.map((s) => ({ secret: s, argv: [`-HX-Auth-Token:${s}`] })),
  secretArb.map((s) => ({ secret: s, argv: ["-H", `Cookie: session=${s}; theme=dark`] })),
  secretArb.map((s) => ({ secret: s, argv: ["--cookie", `sid=${s}`] })),
  secretArb.map((s) => ({ secret: s, argv: [`https://user:pa@${s}@example.com/`] })),
  secretArb.map((s) => ({ secret: s, argv: [`https://b.s3.amazonaws.com/k?X-Amz-Signature=${s}&x=1`] })),
  secretArb.map((s) => ({ secret: s, argv: [`x_eyJhbGciOiJIUzI1NiJ9.eyJ${s}.c2ln`] })),
  secretArb.map((s) => ({ secret: s, argv: ["-e", `AWS_SESSION_TOKEN=${s}`] })),
  fc
    .tuple(
      secretArb,
      fc.constantFrom("--password", "--token", "--passwd", "--api-key", "--secret", "--oauth2-bearer"),
    )
    .map(([s, option]) => ({ secret: s, argv: [option, s] })),
);

const harmlessArg = fc.oneof(
  fc.constantFrom("-s", "-o", "/tmp/x", "-v", "-u", "-H", "--", "-L", "http://example.com/", "-p", "4444"),
  fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789/._-"), maxLength: 12 }),
);

/** Single-quotes one argument for a `sh -c` payload. */
const shellQuote = (arg: string) => (/^[\w./:=@-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

describe("a secret planted anywhere in argv never leaves the function", () => {
  it("in any output: subject, email, JSON, SNS message, or the signal itself", () => {
    fc.assert(
      fc.property(
        plantedArb,
        fc.array(harmlessArg, { maxLength: 6 }),
        fc.nat(),
        fc.constantFrom("argv", "sh -c", "ancestor", "ancestor sh -c", "grandparent sh -c"),
        fc.constantFrom("curl", "wget", "nc", "socat", "sh"),
        ({ secret, argv }, around, at, where, tool) => {
          const position = at % (around.length + 1);
          const args = [...around.slice(0, position), ...argv, ...around.slice(position)];
          const payload = `${tool} ${args.map(shellQuote).join(" ")} | sh`;
          const f: Finding = finding();
          f.event.process.name = tool;
          if (where === "argv") f.event.process.args = args;
          if (where === "sh -c") f.event.process.args = ["-c", payload];
          if (where === "ancestor") f.event.ancestors[0] = { name: "sh", path: "/bin/sh", args: args };
          if (where === "ancestor sh -c")
            f.event.ancestors[0] = { name: "sh", path: "/bin/sh", args: ["-c", payload] };
          if (where === "grandparent sh -c")
            f.event.ancestors[1] = { name: "bash", path: "/bin/bash", args: ["-c", `(${payload}) &`] };
          f.process = f.event.process;

          const [signal] = buildSignals([f]);
          const outputs = [
            JSON.stringify(signal),
            renderSubject(signal!),
            renderEmail(signal!),
            renderJson(signal!),
            renderSnsMessage(signal!).message,
          ];

          for (const output of outputs) expect(output).not.toContain(secret);
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe("truncateText", () => {
  it("keeps short text as is", () => {
    expect(truncateText("abc", 3)).toBe("abc");
  });

  it("says how many characters went", () => {
    expect(truncateText("abcdef", 2)).toBe("ab…[truncated 4 chars]");
  });

  it("never splits a surrogate pair", () => {
    expect(truncateText("a\u{1f600}b", 2)).toBe("a…[truncated 3 chars]");
  });
});
