// CUDA's built-ins for g++, so that the .cu files of kernels/cuda compile unchanged as C++ and
// run on the CPU (tests/helpers/cuda_shim/platform.py includes this header, then the .cu file).
//
// A grid runs one block at a time; a block's threads run as fibers on one OS thread, each until
// its next __syncthreads(), round after round in a shuffled order, so block reductions work as
// on a GPU and a missing barrier shows as a wrong result. __shared__ arrays become function
// statics, which is right because only one block runs at a time. atomicAdd is a plain add
// (nothing runs concurrently). A launch checks, as the driver would not: argument count and C
// types against the kernel's parameters, CUDA's limits on block and grid sizes, and that no
// thread returns while others wait at a barrier.
//
// Fibers are made once (makecontext) and reused by every block and launch; they switch with
// _setjmp/_longjmp, which, unlike swapcontext, make no system call (swapcontext saves the signal
// mask each time: 1-2 us per switch, most of a training step's time on the shim). Under
// AddressSanitizer, which follows stack switches only through swapcontext, they use swapcontext.
#pragma once

#undef _FORTIFY_SOURCE  // its longjmp check refuses jumps between stacks, which fibers make
#include <math.h>
#include <setjmp.h>
#include <ucontext.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define SHIM_SWAPCONTEXT 1
#endif

struct dim3 {
    unsigned int x = 1, y = 1, z = 1;
};

inline dim3 threadIdx, blockIdx, blockDim, gridDim;

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static

namespace shim {

enum class State { kRunnable, kAtBarrier, kDone };

struct Fiber {
    std::vector<char> stack = std::vector<char>(128 * 1024);
    ucontext_t context;  // the first entry (every switch under SHIM_SWAPCONTEXT)
    jmp_buf jump;  // where a started fiber continues
    bool started = false;
    State state = State::kRunnable;
    dim3 index;
};

inline ucontext_t scheduler_context;
inline jmp_buf scheduler_jump;
inline Fiber* running = nullptr;
inline std::function<void()> body;  // the kernel call every thread makes
inline std::vector<std::unique_ptr<Fiber>> fibers;  // stable addresses: contexts point inside

// From the running fiber back to the scheduler; returns when the scheduler resumes it.
inline void to_scheduler()
{
#ifdef SHIM_SWAPCONTEXT
    swapcontext(&running->context, &scheduler_context);
#else
    if (!_setjmp(running->jump)) _longjmp(scheduler_jump, 1);
#endif
}

// A fiber runs the kernel body once per block it is given, for as many blocks as come.
inline void fiber_main()
{
    for (;;) {
        body();
        running->state = State::kDone;
        to_scheduler();
    }
}

// From the scheduler into fiber f: its first entry starts fiber_main on its own stack.
inline void to_fiber(Fiber& f)
{
    running = &f;
    if (!f.started) {
        f.started = true;
        getcontext(&f.context);
        f.context.uc_stack.ss_sp = f.stack.data();
        f.context.uc_stack.ss_size = f.stack.size();
        f.context.uc_link = nullptr;  // fiber_main never returns
        makecontext(&f.context, fiber_main, 0);
#ifdef SHIM_SWAPCONTEXT
        swapcontext(&scheduler_context, &f.context);
#else
        if (!_setjmp(scheduler_jump)) setcontext(&f.context);
#endif
        return;
    }
#ifdef SHIM_SWAPCONTEXT
    swapcontext(&scheduler_context, &f.context);
#else
    if (!_setjmp(scheduler_jump)) _longjmp(f.jump, 1);
#endif
}

}  // namespace shim

inline void __syncthreads()
{
    shim::running->state = shim::State::kAtBarrier;
    shim::to_scheduler();
}

template <typename T>
T atomicAdd(T* address, T value)
{
    const T old = *address;
    *address = old + value;
    return old;
}

namespace shim {

// A new order of the threads for each round, from a fixed seed: a missing barrier then lets
// some thread read too early in almost every block, and a failure reproduces.
inline void shuffle(std::vector<unsigned>& order)
{
    static unsigned long long state = 0x9e3779b97f4a7c15ull;
    for (std::size_t i = order.size(); i > 1; --i) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        std::swap(order[i - 1], order[state % i]);
    }
}

// Run block blockIdx to completion: every thread to its next barrier, round after round.
inline bool run_block(char* error, int error_size)
{
    const unsigned threads = blockDim.x * blockDim.y * blockDim.z;
    while (fibers.size() < threads) fibers.push_back(std::make_unique<Fiber>());
    for (unsigned t = 0; t < threads; ++t) {
        Fiber& f = *fibers[t];
        f.state = State::kRunnable;
        f.index = {t % blockDim.x, (t / blockDim.x) % blockDim.y, t / (blockDim.x * blockDim.y)};
    }
    std::vector<unsigned> order(threads);
    for (unsigned t = 0; t < threads; ++t) order[t] = t;
    for (;;) {
        shuffle(order);
        unsigned done = 0, waiting = 0;
        for (unsigned t : order) {
            Fiber& f = *fibers[t];
            if (f.state != State::kDone) {
                threadIdx = f.index;
                f.state = State::kRunnable;
                to_fiber(f);
            }
            (f.state == State::kDone ? done : waiting) += 1;
        }
        if (waiting == 0) return true;
        if (done != 0) {
            snprintf(error, error_size, "block (%u, %u, %u): %u threads wait at __syncthreads()"
                     " while %u have returned", blockIdx.x, blockIdx.y, blockIdx.z, waiting, done);
            for (unsigned t = 0; t < threads; ++t) {  // abandon the waiting threads' frames:
                if (fibers[t]->state != State::kDone) fibers[t]->started = false;  // restart
            }
            return false;
        }
    }
}

// 'f' float, 'd' double, 'i' int, 'l' long long; upper case for a pointer to one; '?' other.
template <typename T>
constexpr char type_code()
{
    using U = std::remove_cv_t<T>;
    if constexpr (std::is_pointer_v<U>) {
        using E = std::remove_cv_t<std::remove_pointer_t<U>>;
        constexpr char c = type_code<E>();
        return c == '?' ? '?' : static_cast<char>(c - 'a' + 'A');
    } else if constexpr (std::is_same_v<U, float>) {
        return 'f';
    } else if constexpr (std::is_same_v<U, double>) {
        return 'd';
    } else if constexpr (std::is_same_v<U, int>) {
        return 'i';
    } else if constexpr (std::is_same_v<U, long long>) {
        return 'l';
    } else {
        return '?';
    }
}

template <typename... A, std::size_t... I>
void call(void (*kernel)(A...), void** params, std::index_sequence<I...>)
{
    kernel(*static_cast<std::remove_cv_t<A>*>(params[I])...);
}

// Launch like cuLaunchKernel: dims = grid x, y, z, block x, y, z; params[i] points to the
// value of argument i; codes spells the arguments' types (see type_code). 0 on success.
template <typename... A>
int launch(void (*kernel)(A...), const unsigned* dims, void** params, const char* codes,
           char* error, int error_size)
{
    static constexpr char expected[] = {type_code<A>()..., '\0'};
    if (std::strcmp(codes, expected) != 0) {
        snprintf(error, error_size, "arguments of types '%s' for parameters of types '%s'",
                 codes, expected);
        return 1;
    }
    gridDim = {dims[0], dims[1], dims[2]};
    blockDim = {dims[3], dims[4], dims[5]};
    const bool grid_ok = dims[0] >= 1 && dims[0] <= 2147483647u && dims[1] >= 1 &&
                         dims[1] <= 65535 && dims[2] >= 1 && dims[2] <= 65535;
    const bool block_ok = dims[3] >= 1 && dims[4] >= 1 && dims[5] >= 1 && dims[5] <= 64 &&
                          dims[3] * dims[4] * dims[5] <= 1024;
    if (!grid_ok || !block_ok) {
        snprintf(error, error_size, "invalid launch: grid (%u, %u, %u), block (%u, %u, %u)",
                 dims[0], dims[1], dims[2], dims[3], dims[4], dims[5]);
        return 2;
    }
    body = [&] { call(kernel, params, std::index_sequence_for<A...>{}); };
    for (unsigned z = 0; z < gridDim.z; ++z) {
        for (unsigned y = 0; y < gridDim.y; ++y) {
            for (unsigned x = 0; x < gridDim.x; ++x) {
                blockIdx = {x, y, z};
                if (!run_block(error, error_size)) return 3;
            }
        }
    }
    return 0;
}

}  // namespace shim

// One C entry point per template instantiation, e.g. SHIM_EXPORT(launch_0, im2col<float>).
#define SHIM_EXPORT(symbol, ...)                                                          \
    extern "C" int symbol(const unsigned* dims, void** params, const char* codes,        \
                          char* error, int error_size)                                    \
    {                                                                                     \
        return shim::launch(&__VA_ARGS__, dims, params, codes, error, error_size);       \
    }
