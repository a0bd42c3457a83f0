# The production matrix (issue 7), shared by bench/nginx-ab.sh and
# bench/nginx-instructions.sh: per row, the knobs B sets in its location and
# the request headers (one per line) both A and B receive.
# shellcheck shell=bash

# Rows outside the issue's matrix, measured on request (SCENARIOS=... / as arguments).
EXTRA_ROWS="m-ua m-unsampled m-r01-nosink"
MATRIX_ROWS="m-default m-w3c m-ts2 m-ts32 m-r25 m-r10 m-r01 m-tidratio m-xb3 m-xb3multi m-xjaeger m-xnone m-inject m-distrust m-distrust-inc"

M_TRACE=4bf92f3577b34da6a3ce929d0e0e4736
M_PARENT=00f067aa0ba902b7
M_TRACEPARENT="00-$M_TRACE-$M_PARENT-01"
# A browser's User-Agent (the other rows send none; production requests do).
M_BROWSER_UA='Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'
M_TS2='congo=t61rcWkgMzE,rojo=00f067aa0ba902b7'
# 32 members, 511 characters: the longest list the native path passes through.
M_TS32=$(for i in $(seq -w 0 31); do printf 'k%s=%s,' "$i" vvvvvvvvvvv; done | sed 's/,$//')
M_ALL='set $tracing_extract "w3c,b3,b3multi,jaeger";'
# Rare input that still goes to njs (README "What still enters njs"), measured by
# bench/nginx-instructions.sh (RARE=1).
RARE_ROWS="r-future r-ts-ows r-ts-long r-ts-empty-member r-b3-debug r-b3-decision r-xb3-flags r-jaeger-debug r-jaeger-upper r-ratio-4dp"

matrix_knobs() { # row -> nginx directives for B's location
  case $1 in
    m-default|m-w3c|m-ts2|m-ts32|m-unsampled|m-ua) echo "" ;;
    m-r25) echo 'set $tracing_sample_ratio 0.25;' ;;
    m-r10) echo 'set $tracing_sample_ratio 0.1;' ;;
    m-r01) echo 'set $tracing_sample_ratio 0.01;' ;;
    m-r01-nosink) echo 'set $tracing_sample_ratio 0.01; set $tracing_sink off;' ;;
    m-tidratio) echo 'set $tracing_sampler traceidratio; set $tracing_sample_ratio 0.25;' ;;
    m-xb3|m-xb3multi|m-xjaeger|m-xnone) echo "$M_ALL" ;;
    m-inject) echo 'set $tracing_inject "w3c,b3"; include tracing-location-formats.conf;' ;;
    m-distrust) echo 'set $tracing_trust_incoming off;' ;;
    m-distrust-inc) echo 'include tracing-location-distrust.conf;' ;;
    r-future|r-ts-ows|r-ts-long|r-ts-empty-member) echo "" ;;
    r-b3-debug|r-b3-decision|r-xb3-flags|r-jaeger-debug|r-jaeger-upper) echo "$M_ALL" ;;
    r-ratio-4dp) echo 'set $tracing_sample_ratio 0.0125;' ;;
    *) return 1 ;;
  esac
}

matrix_headers() { # row -> request headers, one per line
  case $1 in
    m-w3c|m-tidratio) echo "traceparent: $M_TRACEPARENT" ;;
    m-unsampled) echo "traceparent: ${M_TRACEPARENT%01}00" ;;
    m-ua) printf 'traceparent: %s\nUser-Agent: %s\n' "$M_TRACEPARENT" "$M_BROWSER_UA" ;;
    m-ts2|m-distrust|m-distrust-inc) printf 'traceparent: %s\ntracestate: %s\n' "$M_TRACEPARENT" "$M_TS2" ;;
    m-ts32) printf 'traceparent: %s\ntracestate: %s\n' "$M_TRACEPARENT" "$M_TS32" ;;
    m-xb3) echo "b3: $M_TRACE-$M_PARENT-1" ;;
    m-xb3multi) printf 'X-B3-TraceId: %s\nX-B3-SpanId: %s\nX-B3-Sampled: 1\n' "$M_TRACE" "$M_PARENT" ;;
    m-xjaeger) echo "uber-trace-id: $M_TRACE:$M_PARENT:0:1" ;;
    m-default|m-r25|m-r10|m-r01|m-r01-nosink|m-xnone|m-inject|r-ratio-4dp) ;;
    r-future) echo "traceparent: 01-$M_TRACE-$M_PARENT-01-future" ;;
    r-ts-ows) printf 'traceparent: %s\ntracestate: %s\n' "$M_TRACEPARENT" 'congo=t61rcWkgMzE, rojo=00f067aa0ba902b7' ;;
    r-ts-long) printf 'traceparent: %s\ntracestate: %s,zz=%s\n' "$M_TRACEPARENT" "$M_TS32" 1234567890 ;;
    r-ts-empty-member) printf 'traceparent: %s\ntracestate: %s\n' "$M_TRACEPARENT" 'congo=t61rcWkgMzE,,rojo=00f067aa0ba902b7' ;;
    r-b3-debug) echo "b3: $M_TRACE-$M_PARENT-d" ;;
    r-b3-decision) echo "b3: 0" ;;
    r-xb3-flags) printf 'X-B3-TraceId: %s\nX-B3-SpanId: %s\nX-B3-Flags: 1\n' "$M_TRACE" "$M_PARENT" ;;
    r-jaeger-debug) echo "uber-trace-id: $M_TRACE:$M_PARENT:0:3" ;;
    r-jaeger-upper) echo "uber-trace-id: ${M_TRACE^^}:$M_PARENT:0:1" ;;
    *) return 1 ;;
  esac
}

matrix_what() {
  case $1 in
    m-default) echo 'matrix 1: defaults, no context' ;;
    m-w3c) echo 'matrix 2: valid sampled traceparent' ;;
    m-ts2) echo 'matrix 3: traceparent + tracestate, 2 members' ;;
    m-ts32) echo 'matrix 3: traceparent + tracestate, 32 members / 511 characters' ;;
    m-ua) echo 'm-w3c from a browser: its 101-byte User-Agent is recorded (bounded by the cap regex, ~22 instructions a byte)' ;;
    m-unsampled) echo 'm-w3c with an unsampled parent: no record, decided the same way every request (the ratio rows vary with their ids)' ;;
    m-r01-nosink) echo 'm-r01 with `set $tracing_sink off;`: no record (m-r01 minus this = deciding not to write one)' ;;
    m-r25|m-r10|m-r01) echo "matrix 4: new traces, parentbased_traceidratio $(matrix_knobs "$1" | grep -o '0\.[0-9]*')" ;;
    m-tidratio) echo 'matrix 4: traceidratio 0.25 with a sampled parent (this trace id is sampled)' ;;
    m-xb3) echo 'matrix 5: extract w3c,b3,b3multi,jaeger; b3 single header' ;;
    m-xb3multi) echo 'matrix 5: extract w3c,b3,b3multi,jaeger; X-B3-* headers' ;;
    m-xjaeger) echo 'matrix 5: extract w3c,b3,b3multi,jaeger; uber-trace-id' ;;
    m-xnone) echo 'matrix 5: extract w3c,b3,b3multi,jaeger; no context' ;;
    m-inject) echo 'matrix 6: inject w3c,b3 with tracing-location-formats.conf; no context' ;;
    m-distrust) echo 'matrix 7: trust_incoming off; traceparent + tracestate' ;;
    m-distrust-inc) echo 'matrix 7: tracing-location-distrust.conf (trust off, 13 header lines); traceparent + tracestate' ;;
  esac
}
