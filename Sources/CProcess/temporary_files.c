#define _GNU_SOURCE
#include "CProcess.h"
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

// The temporary files and folders a signal that ends the process removes on its way out, as
// git's tempfile.c does: a checkout interrupted with Ctrl-C left a hidden 380 MB file beside
// its output, a commit its half-written pack. The handler may run on any thread at any moment,
// so the table is fixed (no allocation, no lock): a slot is claimed, its path copied, and only
// then marked as holding one; the handler reads marked slots only, and uses nothing but system
// calls (`unlinkat`, `getdents64`, `openat`, `close`), which are safe in a handler.

enum { SLOTS = 1024, SLOT_BITS = 10, PATH_BYTES = 4096 };
enum { FREE = 0, CLAIMED = 1, HOLDS_FILE = 2, HOLDS_FOLDER = 3, STATE_BITS = 2, STATE_MASK = 3 };

// A slot's state in its low two bits, and above them how many times it was claimed: a
// registration names both (its slot in the low bits, that count above), so that forgetting it
// twice — a writer forgets on commit and again as it goes — cannot free the slot once another
// thread has claimed it again.
static _Atomic unsigned slot_state[SLOTS];
// Untouched pages of this 4 MB table cost nothing: only the slots used are ever written.
static char slot_path[SLOTS][PATH_BYTES];
static pthread_once_t handlers_once = PTHREAD_ONCE_INIT;

// The entries of the folder `fd` names, files and folders, depth first; `depth` bounds the
// recursion (and the handler's stack: a 4 KB buffer a level).
static void remove_contents(int fd, int depth) {
    char buffer[4096] __attribute__((aligned(8)));
    for (int pass = 0; pass < 64; pass++) {
        int removed = 0;
        lseek(fd, 0, SEEK_SET);
        for (;;) {
            long count = syscall(SYS_getdents64, fd, buffer, sizeof buffer);
            if (count <= 0) break;
            for (long offset = 0; offset < count;) {
                // struct linux_dirent64: inode (8), offset (8), record length (2), type (1), name.
                unsigned short length;
                memcpy(&length, buffer + offset + 16, sizeof length);
                unsigned char type = (unsigned char)buffer[offset + 18];
                const char *name = buffer + offset + 19;
                offset += length;
                if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
                int is_folder = type == DT_DIR;
                if (type == DT_UNKNOWN) {  // a file system that does not say: a file unless unlinking says otherwise
                    if (unlinkat(fd, name, 0) == 0) {
                        removed++;
                        continue;
                    }
                    is_folder = errno == EISDIR;
                    if (!is_folder) continue;
                }
                if (!is_folder) {
                    if (unlinkat(fd, name, 0) == 0) removed++;
                    continue;
                }
                if (depth > 0) {
                    int child = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                    if (child >= 0) {
                        remove_contents(child, depth - 1);
                        close(child);
                    }
                }
                if (unlinkat(fd, name, AT_REMOVEDIR) == 0) removed++;
            }
        }
        if (removed == 0) return;
    }
}

static void remove_registered(void) {
    for (int slot = 0; slot < SLOTS; slot++) {
        unsigned state = atomic_load_explicit(&slot_state[slot], memory_order_acquire) & STATE_MASK;
        if (state == HOLDS_FILE) {
            unlink(slot_path[slot]);
        } else if (state == HOLDS_FOLDER) {
            int fd = open(slot_path[slot], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd >= 0) {
                remove_contents(fd, 32);
                close(fd);
            }
            rmdir(slot_path[slot]);
        }
    }
}

static void on_signal(int number) {
    int saved = errno;
    remove_registered();
    // SA_RESETHAND put the default action back: the process now ends by the signal, as it would
    // have without the handler (a shell sees 130 for Ctrl-C).
    raise(number);
    errno = saved;
}

// Only for signals whose action is still the default: one the parent ignores (`nohup`, a
// background job's SIGINT) stays ignored.
static void install_handlers(void) {
    const int numbers[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE};
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
        struct sigaction current;
        if (sigaction(numbers[i], NULL, &current) != 0 || current.sa_handler != SIG_DFL) continue;
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = on_signal;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESETHAND | SA_RESTART;
        sigaction(numbers[i], &action, NULL);
    }
}

int dsv_temporary_register(const char *path, int folder) {
    size_t length = strlen(path);
    if (length >= PATH_BYTES) return -1;
    pthread_once(&handlers_once, install_handlers);
    // The first free slot: the slots in use stay few and low, as do the table's pages touched
    // (a materialize places ten thousand files, a few dozen at a time).
    for (int slot = 0; slot < SLOTS; slot++) {
        unsigned expected = atomic_load_explicit(&slot_state[slot], memory_order_relaxed);
        if ((expected & STATE_MASK) != FREE) continue;
        // The claim count, kept to the bits a non-negative int holds beside the slot's.
        unsigned claims = ((expected >> STATE_BITS) + 1) & ((1u << (31 - SLOT_BITS)) - 1);
        if (!atomic_compare_exchange_strong_explicit(&slot_state[slot], &expected, claims << STATE_BITS | CLAIMED,
                                                     memory_order_acquire, memory_order_relaxed)) {
            continue;
        }
        memcpy(slot_path[slot], path, length + 1);
        atomic_store_explicit(&slot_state[slot], claims << STATE_BITS | (folder ? HOLDS_FOLDER : HOLDS_FILE),
                              memory_order_release);
        return (int)(claims << SLOT_BITS) | slot;
    }
    return -1;
}

// Frees the slot only if it still holds this registration's path: a second forget, or one
// after the slot was claimed again, changes nothing.
void dsv_temporary_forget(int registration) {
    if (registration < 0) return;
    int slot = registration & (SLOTS - 1);
    unsigned claims = (unsigned)registration >> SLOT_BITS;
    for (unsigned held = HOLDS_FILE; held <= HOLDS_FOLDER; held++) {
        unsigned expected = claims << STATE_BITS | held;
        if (atomic_compare_exchange_strong_explicit(&slot_state[slot], &expected, claims << STATE_BITS | FREE,
                                                    memory_order_release, memory_order_relaxed)) {
            return;
        }
    }
}

int dsv_temporary_is_registered(int registration) {
    if (registration < 0) return 0;
    unsigned state = atomic_load_explicit(&slot_state[registration & (SLOTS - 1)], memory_order_acquire);
    return (state >> STATE_BITS) == ((unsigned)registration >> SLOT_BITS) && (state & STATE_MASK) >= HOLDS_FILE;
}
