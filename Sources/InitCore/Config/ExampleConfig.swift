/// `swinit example-config`: every key, commented, with its default. Kept loadable by a test.
public enum ExampleConfig {
    public static let text = #"""
# swinit configuration (TOML). Bake it into the image as /etc/swinit/swinit.toml,
# or point to it with --config FILE or SWINIT_CONFIG. Check it at build time:
#   RUN ["swinit", "check"]
# Durations are strings: "500ms", "10s", "1h30m". ${VAR} and ${VAR:-default} expand from
# swinit's environment in commands, env values and paths; $$ is a literal $.

# --- Global settings (defaults shown) ---
stop-timeout = "10s"        # stop signal → SIGKILL, for services without their own
grace = "2s"                # leftover processes at exit: SIGTERM, grace, SIGKILL
stdout = "prefix"           # default output of services: prefix | inherit | json | null | { file = … }
stderr = "prefix"
log-timestamps = false      # prefix lines with a time stamp
log-level = "notice"        # swinit's own messages: error | warning | notice | info | debug
# control-dir = "/run/swinit"   # control FIFOs and status.json
# control-group = "wheel"       # group allowed to use the control directory (default: owner only)
reload-on-hup = true        # SIGHUP re-reads this file (without a main program)
# events = { on-fatal = ["/app/bin/page-oncall"] }   # default event commands (or an [events] table):
#                           # on-exit | on-restart | on-fatal | on-unhealthy get one JSON object on stdin

# --- A one-shot job that must succeed before its dependants start ---
[services.migrate]
command = ["/app/bin/migrate", "--to", "latest"]
type = "oneshot"            # simple (default) | oneshot
restart = "on-failure"      # oneshot default; simple default: always
start-retries = 3

# --- A database-like service ---
[services.db]
command = "/usr/bin/redis-server --port ${DB_PORT:-6379}"   # a string is split into words, no shell
user = "redis"              # name or uid from /etc/passwd; applied only when swinit runs as root
group = "redis"             # default: the user's primary group (supplementary groups are set too)
workdir = "/var/lib/redis"
umask = "027"
rlimits = { nofile = 65536, core = 0, nproc = [4096, 8192] }   # value, "unlimited", or [soft, hard]
stop-signal = "TERM"
stop-timeout = "20s"        # default: the global stop-timeout
ready = { tcp = "127.0.0.1:${DB_PORT:-6379}" }   # "starting" until this passes; dependants wait.
                            # Or { notify = true } (sd_notify READY=1), { fd = 3 } (s6: a newline on fd 3),
                            # { http = "http://127.0.0.1:8080/ready" } (2xx/3xx), { file = PATH }, { exec = [...] }
ready-timeout = "60s"       # not ready by then: a failed start, the restart policy applies
# start-timeout = "60s"     # another name for ready-timeout (give one of them)
ready-interval = "1s"       # between checks (tcp, http, file, exec); one check may take this long (≥ 1s)
# watchdog = "30s"          # with sd_notify: no WATCHDOG=1 for this long restarts the service
# pidfile = "/run/redis.pid"   # a daemonising program: after it exits 0, supervise the pid in this file
# stop-command = ["/usr/bin/redis-cli", "shutdown"]   # instead of the stop signal, which follows at stop-timeout

# --- The web server: waits for the database and the migration ---
[services.web]
command = ["/app/bin/server", "--port", "8080"]
requires = ["db"]           # start after db is up; stop (and later restart) when db stops
after = ["migrate"]         # start after migrate has finished (ordering only)
env = { RUST_LOG = "info", DATABASE_URL = "redis://127.0.0.1:${DB_PORT:-6379}" }
env-file = "/app/web.env"   # KEY=value lines, read at each start
instances = 1               # N copies named web.0, web.1 … with SWINIT_INSTANCE set
restart = "always"          # always | on-failure | never
success-exit-codes = [0]    # exits that are not failures
backoff = "1s"              # first restart delay, doubling …
backoff-max = "60s"         # … up to this
backoff-reset = "30s"       # back to `backoff` once the service stayed up this long
start-time = "1s"           # exiting sooner than this counts as a failed start …
start-retries = 5           # … and this many in a row make the service fatal ("unlimited" for no limit)
stop-delay = "0s"           # wait before the stop signal (let a load balancer drain)
critical = false            # when it ends for good, the container exits with its code
on-fatal = "ignore"         # ignore | shutdown, when its start retries are used up
cpu-affinity = "0-1"        # or [0, 1]
no-new-privileges = true
health = { http = "http://127.0.0.1:8080/healthz", interval = "10s", timeout = "5s", retries = 3, start-period = "0s", on-unhealthy = "restart" }
                            # or { exec = [...] }, { tcp = "HOST:PORT" }, { file-age = { path = P, max-age = "30s" } };
                            # on-unhealthy = "report" only logs and runs the on-unhealthy event command
# pre-start = { command = ["/app/bin/check-config"], timeout = "30s" }   # failure aborts this start attempt
# post-start = ["/app/bin/register"]    # once ready; hooks run as the service's user, with its env,
# pre-stop = ["/app/bin/deregister"]    # SWINIT_SERVICE and SWINIT_EVENT; each killed at its timeout (30s)
# post-stop = ["/app/bin/cleanup"]
# events = { on-exit = ["/app/bin/report"], on-restart = ["/app/bin/report"], on-unhealthy = ["/app/bin/report"] }
shell = false               # true: run the command string with /bin/sh -c
stdout = "prefix"
stderr = { file = "/var/log/web.err", max-size = "10MiB", max-files = 5 }
# window = { start = "08:00", stop = "18:00", days = ["mon-fri"], timezone = "Europe/Berlin" }
#                           # run only inside these hours: started at start, stopped at stop

# --- A scheduled task (cron in the container) ---
[tasks.backup]
command = ["/app/bin/backup"]
cron = "30 2 * * *"         # one schedule: cron (5 or 6 fields, @daily …), every, or at
# every = "1h30m"           # from swinit's start …
# jitter = "30s"            # … spread by up to this (the same for a given task name)
# at = ["02:30", "14:30"]   # times of day …
# days = ["mon-fri"]        # … on these days
timezone = "UTC"            # default: $TZ, else UTC
overlap = "skip"            # skip | queue | replace, when a run is due while one still runs
timeout = "1h"              # a longer run is stopped
on-shutdown = "stop"        # stop | wait
on-success = []             # tasks to run after a success …
on-failure = ["alert"]      # … or after a failure

[tasks.alert]
command = "/app/bin/notify 'backup failed'"
"""#
}
