#!/bin/sh
# e2e_compile.sh - perfmon.h compiles warning-free as C11 and C++11/17 (gcc,
# clang, g++, clang++; -Wall -Wextra -Wpedantic -Werror), with and without
# PERFMON_IMPLEMENTATION, using every macro; a two-file program links and
# records; -DPM_ENABLED=0 compiles to nothing: no warnings (unused
# variables included), arguments not evaluated, no segment created.
. "$(dirname "$0")/lib.sh"

W="-Wall -Wextra -Wpedantic -Werror"

# every macro and function, in a form valid as C and as C++
cat > "$T/use.h" <<'SRC'
#include <stdint.h>
static int side_effects;
static inline int f(void) { side_effects++; return 1; }
static int use_everything(int n)
{
    int v = n;                     /* used only inside macros */
    int64_t bytes = 4096;
    PM_COUNT("c.count", 1);
    PM_COUNT("c.count", f());
    PM_GAUGE_SET("c.gauge", f());
    PM_GAUGE_ADD("c.gauge", -f());
    PM_RECORD("c.dist", v);
    PM_RECORD_UNIT("c.ns", f(), PM_UNIT_NANOSECONDS);
    PM_RECORD_BYTES("c.bytes", bytes);
    PM_DURATION("c.dur", f(), f());
    {
        PM_SCOPE("c.scope");
        if (n < 0) PM_SCOPE_FAIL();
    }
    {
        PM_RESOURCE_SCOPE("c.resource");
    }
    pm_span s = PM_BEGIN("c.span");
    PM_SPAN_FAIL(s);
    PM_END(s);
    pm_span s2 = PM_BEGIN("c.span");
    PM_END_ERROR(s2);
    pm_id id = pm_lookup("c.byid", PM_KIND_COUNTER, PM_UNIT_NONE);
    pm_count_id(id, 2);
    pm_id gid = pm_lookup("c.gid", PM_KIND_GAUGE, PM_UNIT_NONE);
    pm_gauge_set_id(gid, 1);
    pm_gauge_add_id(gid, 1);
    pm_id did = pm_lookup("c.did", PM_KIND_DISTRIBUTION, PM_UNIT_NONE);
    pm_record_id(did, 5);
    pm_span s3 = pm_begin_id(pm_lookup("c.tid", PM_KIND_TIMER, PM_UNIT_NANOSECONDS));
    PM_END(s3);
    pm_count("c.name", 1);
    pm_gauge_set("c.gname", 1);
    pm_gauge_add("c.gname", 1);
    pm_record("c.rname", 1);
    pm_record_duration("c.dname", 10, 1);
    pm_timer_start("c.timer");
    (void)pm_timer_stop("c.timer");
    pm_set_slow_threshold_ms("c.timer", 5.0);
    pm_set_unit("c.bytes", PM_UNIT_BYTES);
    char name[64];
    (void)pm_name(name, sizeof name, "c.lab", "k", "v", (const char *)0);
    (void)pm_result_str(PM_OK);
    (void)pm_segment_path();
    pm_resource_span rs = pm_resource_begin("c.res2");
    pm_resource_end(&rs);
    pm_resource_snapshot snaps[4];
    pm_resource_options ro;
    ro.interval_ms = 0;
    ro.capacity = 4;
    ro.snapshots = snaps;
    pm_resource_span rs2 = pm_resource_begin_ex("c.res3", &ro);
    pm_resource_result rr = pm_resource_end(&rs2);
    (void)rr.wall_ns;
    return side_effects;
}
SRC
cat > "$T/main.c" <<'SRC'
#include "perfmon.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "use.h"
#ifdef __cplusplus
extern "C"
#endif
int other(void);
int main(void)
{
    pm_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.keep = -1;
    pm_result r = pm_init(&cfg);
    int fx = use_everything(1) + other();
    char p[64];
    snprintf(p, sizeof p, "/dev/shm/perfmon.%ld", (long)getpid());
    int seg = access(p, F_OK) == 0;
#if PM_ENABLED
    /* recording: f() was called (6 times here, as many in other()), a segment exists */
    if (r != PM_OK || fx != 12 || !seg) { printf("enabled: r=%d fx=%d seg=%d\n", r, fx, seg); return 1; }
#else
    /* compiled out: nothing evaluated, nothing created */
    if (r != PM_ERR_DISABLED || fx != 0 || seg) { printf("disabled: r=%d fx=%d seg=%d\n", r, fx, seg); return 1; }
#endif
    pm_shutdown();
    return 0;
}
SRC
cat > "$T/impl.c" <<'SRC'
#define PERFMON_IMPLEMENTATION
#include "perfmon.h"
#include "use.h"
#ifdef __cplusplus
extern "C"
#endif
int other(void) { return use_everything(2); }
SRC
cp "$T/main.c" "$T/main.cpp"
cp "$T/impl.c" "$T/impl.cpp"

compile_case() { # NAME COMPILER ARGS...: must succeed with no output
    name=$1
    shift
    if ! command -v "$1" > /dev/null 2>&1; then
        t_fail "$name" "$1 not installed"
        return
    fi
    "$@" > "$T/cc.out" 2>&1
    rc=$?
    t_check "$name" "rc=$rc: $(head -c 1500 "$T/cc.out")" '[ $rc = 0 ] && [ ! -s "$T/cc.out" ]'
}

I="-I. -I$T"
for cc in gcc clang; do
    for en in 1 0; do
        compile_case "c11_${cc}_enabled${en}_header" $cc -std=c11 $W -DPM_ENABLED=$en $I -c "$T/main.c" -o "$T/m.o"
        compile_case "c11_${cc}_enabled${en}_impl" $cc -std=c11 $W -DPM_ENABLED=$en $I -c "$T/impl.c" -o "$T/i.o"
    done
    compile_case "c11_${cc}_pm_disabled_unused_warnings" $cc -std=c11 $W -Wunused -Wunused-variable \
        -Wunused-but-set-variable -Wunused-parameter -Wunused-function -DPM_ENABLED=0 $I -c "$T/impl.c" -o "$T/i.o"
    compile_case "c11_${cc}_shadow" $cc -std=c11 $W -Wshadow $I -c "$T/impl.c" -o "$T/i.o"
done
for cxx in g++ clang++; do
    for std in c++11 c++17; do
        for en in 1 0; do
            compile_case "${std}_${cxx}_enabled${en}_header" $cxx -std=$std $W -DPM_ENABLED=$en $I -c "$T/main.cpp" -o "$T/m.o"
            compile_case "${std}_${cxx}_enabled${en}_impl" $cxx -std=$std $W -DPM_ENABLED=$en $I -c "$T/impl.cpp" -o "$T/i.o"
        done
    done
done

# link and run: C, C++, mixed; enabled and compiled out
link_run() { # NAME ENABLED COMPILER-OF-MAIN MAIN COMPILER-OF-IMPL IMPL
    name=$1 en=$2
    $3 $([ "$3" = gcc ] && echo -std=c11 || echo -std=c++17) $W -DPM_ENABLED=$en $I -c "$4" -o "$T/m.o" > "$T/cc.out" 2>&1 &&
    $5 $([ "$5" = gcc ] && echo -std=c11 || echo -std=c++17) $W -DPM_ENABLED=$en $I -c "$6" -o "$T/i.o" >> "$T/cc.out" 2>&1 &&
    g++ -o "$T/prog" "$T/m.o" "$T/i.o" -pthread >> "$T/cc.out" 2>&1
    rc=$?
    if [ $rc != 0 ]; then
        t_fail "$name" "build failed: $(head -c 1000 "$T/cc.out")"
        return
    fi
    timeout 30 "$T/prog" > "$T/run.out" 2>&1
    rc=$?
    t_check "$name" "rc=$rc: $(head -c 300 "$T/run.out")" '[ $rc = 0 ]'
}
link_run link_c_enabled 1 gcc "$T/main.c" gcc "$T/impl.c"
link_run link_c_disabled 0 gcc "$T/main.c" gcc "$T/impl.c"
link_run link_cxx_enabled 1 g++ "$T/main.cpp" g++ "$T/impl.cpp"
link_run link_cxx_disabled 0 g++ "$T/main.cpp" g++ "$T/impl.cpp"
link_run link_mixed_c_impl_cxx_main 1 g++ "$T/main.cpp" gcc "$T/impl.c"

# compiled out, a static function used only as a macro argument draws no
# warning either (clang: -Wunneeded-internal-declaration)
printf '#include "perfmon.h"\nstatic int g(void) { return 1; }\nint h(void);\nint h(void) { PM_COUNT("x", g()); PM_RECORD("y", g()); return 0; }\n' > "$T/static_arg.c"
compile_case pm_disabled_static_fn_arg_gcc gcc -std=c11 $W -DPM_ENABLED=0 -I. -c "$T/static_arg.c" -o "$T/s.o"
compile_case pm_disabled_static_fn_arg_clang clang -std=c11 $W -DPM_ENABLED=0 -I. -c "$T/static_arg.c" -o "$T/s.o"

# PERFMON_IMPLEMENTATION twice in one file is harmless (its own guard)
printf '#define PERFMON_IMPLEMENTATION\n#include "perfmon.h"\n#include "perfmon.h"\nint main(void) { PM_COUNT("x", 1); return 0; }\n' > "$T/twice.c"
compile_case double_include_impl gcc -std=c11 $W -I. "$T/twice.c" -o "$T/twice" -pthread

# mistakes that must not compile (issue: silently wrong numbers otherwise)
reject_case() { # NAME PATTERN COMPILER ARGS...: must fail, its errors matching PATTERN
    name=$1 pat=$2
    shift 2
    "$@" > "$T/cc.out" 2>&1
    rc=$?
    t_check "$name" "rc=$rc: $(head -c 1500 "$T/cc.out")" '[ $rc != 0 ] && grep -q "$pat" "$T/cc.out"'
}
# a name built at run time given to a caching macro
for m in 'PM_COUNT(buf, 1)' 'PM_RECORD(buf, 1)' 'PM_GAUGE_SET(buf, 1)' 'PM_GAUGE_ADD(buf, 1)' \
         'PM_DURATION(buf, 1, 1)' 'PM_RECORD_UNIT(buf, 1, PM_UNIT_BYTES)' 'pm_span s = PM_BEGIN(buf); PM_END(s)' \
         '{ PM_SCOPE(buf); }'; do
    printf '#include "perfmon.h"\nvoid f(const char *buf);\nvoid f(const char *buf) { %s; }\n' "$m" > "$T/rt.c"
    tag=$(printf '%s' "$m" | sed 's/[^A-Za-z_]//g' | cut -c1-24)
    for cc in gcc clang; do
        reject_case "runtime_name_${tag}_$cc" MUST_BE_A_STRING_LITERAL $cc -std=c11 -I. -c "$T/rt.c" -o "$T/rt.o"
    done
    cp "$T/rt.c" "$T/rt.cpp"
    reject_case "runtime_name_${tag}_g++" MUST_BE_A_STRING_LITERAL g++ -std=c++17 -I. -c "$T/rt.cpp" -o "$T/rt.o"
    reject_case "runtime_name_${tag}_disabled" "expected" gcc -std=c11 -DPM_ENABLED=0 -I. -c "$T/rt.c" -o "$T/rt.o"
done
# the run-time forms compile: pm_scope, pm_begin, by-name functions
printf '#include "perfmon.h"\nvoid f(const char *buf);\nvoid f(const char *buf) { { pm_scope(buf); PM_SCOPE_FAIL(); } pm_span s = pm_begin(buf); PM_END(s); pm_count(buf, 1); }\n' > "$T/rt.c"
compile_case runtime_forms_gcc gcc -std=c11 $W -Wshadow -I. -c "$T/rt.c" -o "$T/rt.o"
compile_case runtime_forms_disabled gcc -std=c11 $W -DPM_ENABLED=0 -I. -c "$T/rt.c" -o "$T/rt.o"
# PM_SCOPE directly under a case label (a jump past it would end a timer never started)
printf '#include "perfmon.h"\nint f(int x);\nint f(int x) { switch (x) { case 1: PM_SCOPE("a"); return 1; case 2: return 2; } return 0; }\n' > "$T/case.c"
cp "$T/case.c" "$T/case.cpp"
reject_case case_label_scope_gcc "case_label_needs_braces\|jump" gcc -std=c11 -I. -c "$T/case.c" -o "$T/c.o"
reject_case case_label_scope_clang "jump" clang -std=c11 -I. -c "$T/case.c" -o "$T/c.o"
reject_case case_label_scope_g++ "crosses initialization\|jump" g++ -std=c++17 -I. -c "$T/case.cpp" -o "$T/c.o"
printf '#include "perfmon.h"\nint f(int x);\nint f(int x) { switch (x) { case 1: { PM_SCOPE("a"); return 1; } case 2: return 2; } return 0; }\n' > "$T/case.c"
compile_case case_label_braced_gcc gcc -std=c11 $W -Wshadow -I. -c "$T/case.c" -o "$T/c.o"
# nested scopes, same line and inner blocks: no -Wshadow
printf '#include "perfmon.h"\nvoid f(void);\nvoid f(void) { PM_SCOPE("a"); { PM_SCOPE("b"); { PM_SCOPE("c"); PM_RESOURCE_SCOPE("r"); } } }\n' > "$T/nest.c"
cp "$T/nest.c" "$T/nest.cpp"
compile_case nested_scope_shadow_gcc gcc -std=c11 $W -Wshadow -I. -c "$T/nest.c" -o "$T/n.o"
compile_case nested_scope_shadow_clang clang -std=c11 $W -Wshadow -I. -c "$T/nest.c" -o "$T/n.o"
compile_case nested_scope_shadow_g++ g++ -std=c++11 $W -Wshadow -I. -c "$T/nest.cpp" -o "$T/n.o"
compile_case nested_scope_shadow_clang++ clang++ -std=c++17 $W -Wshadow -I. -c "$T/nest.cpp" -o "$T/n.o"
# pm_name without its NULL sentinel: a warning (an error under -Werror)
printf '#include "perfmon.h"\nint f(char *b);\nint f(char *b) { return pm_name(b, 64, "x", "k", "v"); }\n' > "$T/sent.c"
reject_case pm_name_sentinel_gcc "sentinel" gcc -std=c11 $W -I. -c "$T/sent.c" -o "$T/s.o"
# a system header before perfmon.h in the implementation file: exactly one error
printf '#include <stdio.h>\n#define PERFMON_IMPLEMENTATION\n#include "perfmon.h"\nint main(void) { return 0; }\n' > "$T/order.c"
gcc -std=c11 -I. -c "$T/order.c" -o "$T/o.o" > "$T/cc.out" 2>&1
t_check include_order_one_error "$(head -c 1500 "$T/cc.out")" \
    '[ "$(grep -c "error:" "$T/cc.out")" = 1 ] && grep -q "include perfmon.h before any other header" "$T/cc.out"'

# C++: a PM_SCOPE left by an exception counts as an error, a normal exit not
cat > "$T/throw.cpp" <<'SRC'
#define PERFMON_IMPLEMENTATION
#include "perfmon.h"
#include "tests/segread.h"
#include <stdexcept>
static void work(bool fail) { PM_SCOPE("cxx.op"); if (fail) throw std::runtime_error("x"); }
int main() {
    work(false);
    try { work(true); } catch (const std::exception &) {}
    sr_seg s;
    if (sr_open_path(&s, pm_segment_path()) != 0) return 3;
    static sr_stat t;
    sr_timer(&s, "cxx.op", &t);
    return t.count == 2 && t.errors == 1 ? 0 : 1;
}
SRC
for std in c++11 c++17; do
    g++ -std=$std $W -I. -o "$T/throw" "$T/throw.cpp" -pthread > "$T/cc.out" 2>&1
    rc=$?
    [ $rc = 0 ] && { timeout 30 "$T/throw" > "$T/run.out" 2>&1; rc=$?; }
    t_check "cxx_exception_counts_as_error_$std" "rc=$rc: $(head -c 800 "$T/cc.out")" '[ $rc = 0 ]'
done

# ---- the user's CFLAGS/CPPFLAGS add to the build's own flags, never replace
# them (make CFLAGS=-O3 lost -std=c11, -D_GNU_SOURCE and -I.)
make -s O="$T/userflags" CFLAGS=-O3 CPPFLAGS=-DPM_TEST_USER_FLAG=1 "$T/userflags/viewer/perfmon-view" \
    "$T/userflags/examples/demo" > "$T/mk.out" 2>&1
rc=$?
t_check make_user_cflags "rc=$rc: $(head -c 600 "$T/mk.out")" \
    '[ $rc = 0 ] && "$T/userflags/viewer/perfmon-view" --help > /dev/null'

t_done
