#define _GNU_SOURCE
#include "CProcess.h"
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

// A process's exit unmaps its memory before its parent learns that it ended: a kernel's
// `exit_mmap` runs in `do_exit` ahead of `exit_notify`, at about half a microsecond a resident
// page here (58 ms after a 118k-image checkout, 0.3-0.4 s after a 1.18M-image one, 4 ms of a
// 10k-image next round). The last of the processes that share a memory unmaps it, so one
// started just before the exit — the heir — takes that work off the path the caller waits on,
// as mold does with its `--fork`. The heir shares the memory and nothing else: no file (so no
// lock, pipe or descriptor outlives the exit), no signal (all blocked but SIGKILL), and it ends
// when the process has, by PR_SET_PDEATHSIG. Ended, it is an orphan for the init of its PID
// namespace to reap; a container's init may be a program that never reaps, where every command
// would leave a zombie, so in a PID namespace of its own (a container) the exit is the usual one.

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif

// Under a sanitizer the exit stays the C library's: LeakSanitizer checks at `exit`, and
// ThreadSanitizer follows threads, not processes that share memory.
#if (defined(__x86_64__) || defined(__aarch64__)) && !defined(SANITIZED)
#define HEIR_SUPPORTED 1

// Without CLONE_SETTLS the heir shares the exiting thread's thread pointer: it must not touch
// the C library's thread-local state (errno), so it makes its few system calls itself.
static long raw_syscall(long number, long a, long b, long c, long d) {
#if defined(__x86_64__)
    register long r10 __asm__("r10") = d;
    long result;
    __asm__ volatile("syscall" : "=a"(result) : "a"(number), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
    return result;
#else
    register long x8 __asm__("x8") = number;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
    return x0;
#endif
}

static int heir(void *parent) {
    raw_syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0);
    // Ended already, before the signal was asked for: the heir is the last, and ends now.
    if (raw_syscall(SYS_getppid, 0, 0, 0, 0) == (long)(intptr_t)parent) {
        for (;;) raw_syscall(SYS_ppoll, 0, 0, 0, 0);  // nothing to wait for and no timeout: until SIGKILL
    }
    raw_syscall(SYS_exit, 0, 0, 0, 0);
    return 0;
}

/// Whether the process is in the machine's own PID namespace, whose inode number the kernel
/// fixes (PROC_PID_INIT_INO, include/linux/proc_ns.h); a container's has another.
static int in_initial_pid_namespace(void) {
    struct stat namespace;
    return stat("/proc/self/ns/pid", &namespace) == 0 && namespace.st_ino == 0xEFFFFFFCU;
}
#endif

_Noreturn void dsv_exit_leaving_memory(int status) {
    fflush(NULL);
#ifdef HEIR_SUPPORTED
    // The heir gets a copy of the file table, which must be empty: a copied descriptor would
    // keep the repository's lock (an flock) or a caller's pipe open after the exit.
    if (in_initial_pid_namespace() && syscall(SYS_close_range, 0U, ~0U, 0U) == 0) {
        enum { stackSize = 16 * 1024 };
        void *stack = mmap(NULL, stackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (stack != MAP_FAILED) {
            // Blocked from the heir's first instruction (it inherits the mask): a handler of the
            // process would run on the heir's small stack, in another thread's name.
            sigset_t all, previous;
            sigfillset(&all);
            pthread_sigmask(SIG_SETMASK, &all, &previous);
            clone(heir, (char *)stack + stackSize, CLONE_VM | CLONE_UNTRACED, (void *)(intptr_t)getpid());
            pthread_sigmask(SIG_SETMASK, &previous, NULL);
        }
    }
    _exit(status);
#else
    exit(status);
#endif
}

int dsv_sanitized(void) {
#ifdef SANITIZED
    return 1;
#else
    return 0;
#endif
}
