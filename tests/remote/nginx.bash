# nginx.bash - a throw-away nginx on loopback for the remote-store tests and
# benchmark (sourced; not a test itself).
#
#   zf_free_port                 prints a free TCP port on 127.0.0.1
#   zf_nginx_start ROOT DIR [TLS] serves folder ROOT on 127.0.0.1:$NGX_PORT
#                                (and, with TLS=1, https on $NGX_TLS_PORT with a
#                                self-signed certificate for 127.0.0.1 in
#                                $NGX_CERT); config, logs and pid live in DIR;
#                                the access log $NGX_LOG has one line a request:
#                                "METHOD URI STATUS RANGE BYTES_SENT"
#   zf_nginx_stop                stops it (also call it from the EXIT trap)
#
# nginx runs in the foreground of a background job (daemon off) so that its
# pid is ours to stop; as root its workers run as root too (user root), so
# they can read folders made by mktemp.  Needs nginx and openssl (TLS).

zf_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

NGX_PID=
zf_nginx_start() {
    local root=$1 dir=$2 tls=${3:-0} nginx i
    nginx=$(command -v nginx || echo /usr/sbin/nginx)
    [ -x "$nginx" ] || { echo "no nginx (apt-get install nginx)"; return 1; }
    mkdir -p "$dir/tmp"
    NGX_PORT=$(zf_free_port)
    NGX_LOG=$dir/access.log
    : >"$NGX_LOG"
    local tls_server=
    if [ "$tls" = 1 ]; then
        NGX_TLS_PORT=$(zf_free_port)
        NGX_CERT=$dir/cert.pem
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
            -addext subjectAltName=IP:127.0.0.1 -keyout "$dir/key.pem" \
            -out "$NGX_CERT" >/dev/null 2>&1 || { echo "openssl failed"; return 1; }
        tls_server="server { listen 127.0.0.1:$NGX_TLS_PORT ssl; root $root;
            ssl_certificate $NGX_CERT; ssl_certificate_key $dir/key.pem; }"
    fi
    local user=
    [ "$(id -u)" = 0 ] && user="user root;"
    cat >"$dir/nginx.conf" <<EOF
$user
daemon off;
worker_processes 2;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 1024; }
http {
    types { application/json json; }
    default_type application/octet-stream;
    log_format zf '\$request_method \$uri \$status \$http_range \$body_bytes_sent';
    access_log $NGX_LOG zf;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    sendfile on;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
    server { listen 127.0.0.1:$NGX_PORT; root $root; }
    $tls_server
}
EOF
    "$nginx" -c "$dir/nginx.conf" -p "$dir" 2>"$dir/start.err" &
    NGX_PID=$!
    for ((i = 0; i < 100; i++)); do
        if curl -s -o /dev/null "http://127.0.0.1:$NGX_PORT/"; then
            return 0
        fi
        kill -0 "$NGX_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "nginx did not start: $(cat "$dir/start.err" "$dir/error.log" 2>/dev/null | tail -3)"
    return 1
}

zf_nginx_stop() {
    if [ -n "$NGX_PID" ]; then
        kill "$NGX_PID" 2>/dev/null
        wait "$NGX_PID" 2>/dev/null
        NGX_PID=
    fi
}
