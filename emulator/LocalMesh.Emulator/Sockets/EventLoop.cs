using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace LocalMesh.Emulator.Sockets;

/// <summary>
/// The TCP sidecars' own event loops (Linux): a thread per core, each waiting on an epoll set of
/// the mesh's own sockets and moving their bytes on the thread the readiness arrives on, as nginx's
/// and Envoy's workers do. .NET's socket engine hands every readiness from its epoll thread to the
/// thread pool, two context switches per event on a loaded machine; here there are none while
/// there is work. Only sockets no .NET asynchronous operation has touched are added (the engine
/// would be woken by them too).
/// </summary>
internal sealed partial class EventLoop
{
    private const int MaxEvents = 256;

    private readonly int _epoll;
    private readonly int _wake;
    private readonly ConcurrentQueue<Action> _posted = new();
    private readonly Dictionary<long, ILoopHandler> _handlers = [];
    private long _nextId;

    private EventLoop(int number)
    {
        _epoll = Native.EpollCreate1(Native.EpollCloexec);
        _wake = Native.EventFd(0, Native.EfdCloexec | Native.EfdNonblock);
        if (_epoll < 0 || _wake < 0)
        {
            throw new IOException($"epoll: errno {Marshal.GetLastPInvokeError()}");
        }

        Control(Native.EpollCtlAdd, _wake, Native.EpollIn, 0);
        new Thread(Run) { IsBackground = true, Name = $"mesh tcp loop {number}" }.Start();
    }

    /// <summary>Whether this machine has the loops: Linux on x64 or Arm64 (the layouts of <c>epoll_event</c> known here).</summary>
    public static bool IsSupported { get; } = OperatingSystem.IsLinux()
        && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    /// <summary>
    /// A loop per core (at most 16, as Kestrel's I/O queues), started on first use; they live as long
    /// as the process, as the socket engine's threads do.
    /// </summary>
    private static readonly Lazy<EventLoop[]> s_all = new(() => [.. Enumerable.Range(1, Math.Min(Environment.ProcessorCount, 16)).Select(number => new EventLoop(number))]);

    private static int s_next;

    /// <summary>The next loop, in turn.</summary>
    public static EventLoop Next()
    {
        var all = s_all.Value;
        return all[(int)((uint)Interlocked.Increment(ref s_next) % all.Length)];
    }

    /// <summary>Runs <paramref name="action"/> on the loop's thread.</summary>
    public unsafe void Post(Action action)
    {
        _posted.Enqueue(action);
        ulong one = 1;
        _ = Native.Write(_wake, &one, sizeof(ulong));
    }

    /// <summary>Adds <paramref name="fd"/> (edge-triggered, read and write) for <paramref name="handler"/>. On the loop's thread only.</summary>
    /// <returns>The registration, for <see cref="Remove"/>; <c>-1</c> when epoll refused it.</returns>
    public long Add(int fd, ILoopHandler handler, int side, uint events = Native.EpollIn | Native.EpollOut | Native.EpollRdHup)
    {
        var id = ++_nextId;
        _handlers[id] = handler;
        var key = id << 1 | (uint)side;
        if (Control(Native.EpollCtlAdd, fd, events | Native.EpollEt, key) != 0)
        {
            _handlers.Remove(id);
            return -1;
        }

        return id;
    }

    /// <summary>
    /// The first byte waiting on <paramref name="socket"/>, left there; -1 when the peer ended (or
    /// failed) without one. Waits on this loop, so .NET's socket engine never holds the socket.
    /// </summary>
    public unsafe Task<int> PeekAsync(Socket socket, CancellationToken cancellationToken)
    {
        var fd = (int)socket.Handle;
        return WhenAsync(fd, Native.EpollIn | Native.EpollRdHup, () =>
        {
            byte first;
            var read = Native.Recv(fd, &first, 1, Native.MsgPeek | Native.MsgDontWait);
            return read < 0 && Marshal.GetLastPInvokeError() is Native.EAgain or Native.EIntr ? null : read == 1 ? first : -1;
        }, cancellationToken);
    }

    /// <summary>
    /// Connects <paramref name="socket"/> without .NET's socket engine: a non-blocking connect whose
    /// end this loop waits for.
    /// </summary>
    /// <exception cref="SocketException">The connection failed.</exception>
    public async Task ConnectAsync(Socket socket, EndPoint endPoint, CancellationToken cancellationToken)
    {
        socket.Blocking = false;
        try
        {
            socket.Connect(endPoint);
            return;
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
        {
            // Under way: writable once it is made (or has failed).
        }

        await WhenAsync((int)socket.Handle, Native.EpollOut, () => 0, cancellationToken);
        if (socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error) is int error and not 0)
        {
            throw new SocketException(error);
        }
    }

    /// <summary>Waits on this loop until <paramref name="attempt"/>, tried each time <paramref name="fd"/> has one of <paramref name="events"/>, answers (not null).</summary>
    private Task<int> WhenAsync(int fd, uint events, Func<int?> attempt, CancellationToken cancellationToken)
    {
        var wait = new Wait(this, fd, events, attempt);
        Post(wait.Register);
        wait.Cancellation = cancellationToken.Register(() => Post(() => wait.End(null)));
        return wait.Result.Task;
    }

    /// <summary>Takes <paramref name="fd"/> out of the loop. On the loop's thread only.</summary>
    public void Remove(int fd, long id)
    {
        _handlers.Remove(id);
        _ = Control(Native.EpollCtlDel, fd, 0, 0);
    }

    private unsafe int Control(int operation, int fd, uint events, long key)
    {
        var ev = stackalloc byte[16];
        *(uint*)ev = events;
        *(long*)(ev + DataOffset) = key;
        return Native.EpollCtl(_epoll, operation, fd, ev);
    }

    /// <summary>Where <c>epoll_event.data</c> is: the struct is packed on x64, naturally aligned elsewhere.</summary>
    private static int DataOffset => RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    private static int EventSize => RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    private unsafe void Run()
    {
        var size = EventSize;
        var offset = DataOffset;
        var events = (byte*)NativeMemory.Alloc((nuint)(MaxEvents * size));
        try
        {
            while (true)
            {
                var count = Native.EpollWait(_epoll, events, MaxEvents, -1);
                if (count < 0)
                {
                    if (Marshal.GetLastPInvokeError() == Native.EIntr)
                    {
                        continue;
                    }

                    break;
                }

                for (var i = 0; i < count; i++)
                {
                    var ev = events + i * size;
                    var key = *(long*)(ev + offset);
                    if (key == 0)
                    {
                        ulong drained;
                        _ = Native.Read(_wake, &drained, sizeof(ulong));
                        continue;
                    }

                    if (_handlers.TryGetValue(key >> 1, out var handler))
                    {
                        handler.OnEvents((int)(key & 1), *(uint*)ev);
                    }
                }

                while (_posted.TryDequeue(out var action))
                {
                    action();
                }
            }
        }
        finally
        {
            NativeMemory.Free(events);
        }
    }

    /// <summary>One wait of <see cref="WhenAsync"/>: registered until its attempt answers, or it is cancelled (a null answer).</summary>
    private sealed class Wait(EventLoop loop, int fd, uint events, Func<int?> attempt) : ILoopHandler
    {
        private long _id = -1;

        public TaskCompletionSource<int> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationTokenRegistration Cancellation { get; set; }

        public void Register()
        {
            if (Result.Task.IsCompleted)
            {
                return;
            }

            _id = loop.Add(fd, this, 0, events);
            if (_id < 0)
            {
                End(-1);
            }
        }

        public void OnEvents(int side, uint ready)
        {
            if (attempt() is { } answer)
            {
                End(answer);
            }
        }

        public void End(int? answer)
        {
            if (_id >= 0)
            {
                loop.Remove(fd, _id);
                _id = -1;
            }

            Cancellation.Dispose();
            _ = answer is { } value ? Result.TrySetResult(value) : Result.TrySetCanceled();
        }
    }

    /// <summary>A socket's owner on the loop: told what became ready. Runs on the loop's thread and must not block.</summary>
    internal interface ILoopHandler
    {
        void OnEvents(int side, uint events);
    }

    /// <summary>The calls into libc (Linux).</summary>
    internal static unsafe partial class Native
    {
        public const int EpollCloexec = 0x80000;
        public const int EfdCloexec = 0x80000;
        public const int EfdNonblock = 0x800;
        public const int EpollCtlAdd = 1;
        public const int EpollCtlDel = 2;
        public const uint EpollIn = 0x001;
        public const uint EpollOut = 0x004;
        public const uint EpollErr = 0x008;
        public const uint EpollHup = 0x010;
        public const uint EpollRdHup = 0x2000;
        public const uint EpollEt = 1u << 31;
        public const int MsgPeek = 0x02;
        public const int MsgDontWait = 0x40;
        public const int MsgNoSignal = 0x4000;
        public const int ShutWr = 1;
        public const int EIntr = 4;
        public const int EAgain = 11;

        [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
        public static partial int EpollCreate1(int flags);

        [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
        public static partial int EpollCtl(int epfd, int op, int fd, byte* ev);

        [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
        public static partial int EpollWait(int epfd, byte* events, int maxEvents, int timeout);

        [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
        public static partial int EventFd(uint initial, int flags);

        [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
        public static partial nint Read(int fd, void* buffer, nint count);

        [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
        public static partial nint Write(int fd, void* buffer, nint count);

        [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
        public static partial nint Recv(int fd, byte* buffer, nint length, int flags);

        [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
        public static partial nint Send(int fd, byte* buffer, nint length, int flags);

        [LibraryImport("libc", EntryPoint = "shutdown", SetLastError = true)]
        public static partial int Shutdown(int fd, int how);
    }
}
