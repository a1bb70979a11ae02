using System.Net.Sockets;
using System.Runtime.InteropServices;
using static LocalMesh.Emulator.Sockets.EventLoop.Native;

namespace LocalMesh.Emulator.Sockets;

/// <summary>
/// A socket as a stream whose waits are an <see cref="EventLoop"/>'s: a read or write that cannot
/// be done at once resumes on the loop's thread when the socket is ready (the awaiting code runs
/// there, inline), not on the thread pool after .NET's socket engine. TLS over it
/// (<see cref="System.Net.Security.SslStream"/>) then runs its records on the loop too.
/// </summary>
/// <remarks>
/// The socket must not have had a .NET asynchronous operation, and gets none: the engine would be
/// woken by it too. One read and one write may be outstanding at a time, as on any socket stream.
/// Whoever awaits it must not block: it holds the loop's thread.
/// </remarks>
internal sealed class LoopSocketStream : Stream, EventLoop.ILoopHandler
{
    private readonly EventLoop _loop;
    private readonly Socket _socket;
    private readonly int _fd;
    private readonly Readiness _readable = new();
    private readonly Readiness _writable = new();
    private readonly long _id;
    private int _disposed;

    public LoopSocketStream(Socket socket)
    {
        _loop = EventLoop.Next();
        _socket = socket;
        _fd = (int)socket.Handle;
        _id = _loop.Add(_fd, this, 0);
        if (_id < 0)
        {
            throw new IOException($"The connection could not be watched: {new SocketException(Marshal.GetLastPInvokeError()).Message}");
        }
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public void OnEvents(int side, uint events)
    {
        if ((events & (EpollIn | EpollRdHup | EpollHup | EpollErr)) != 0)
        {
            _readable.Signal();
        }

        if ((events & (EpollOut | EpollHup | EpollErr)) != 0)
        {
            _writable.Signal();
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var read = TryRead(_fd, buffer.Span);
            if (read >= 0)
            {
                return (int)read;
            }

            ThrowUnlessWouldBlock();
            await _readable.WaitAsync(cancellationToken);
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var sent = TryWrite(_fd, buffer.Span);
            if (sent >= 0)
            {
                buffer = buffer[(int)sent..];
                continue;
            }

            ThrowUnlessWouldBlock();
            await _writable.WaitAsync(cancellationToken);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    // Synchronous use would block the caller on a socket the engine does not wait on: not offered.
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("A loop socket stream is read asynchronously.");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("A loop socket stream is written asynchronously.");

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private static unsafe nint TryRead(int fd, Span<byte> buffer)
    {
        fixed (byte* bytes = buffer)
        {
            return Recv(fd, bytes, buffer.Length, MsgDontWait);
        }
    }

    private static unsafe nint TryWrite(int fd, ReadOnlySpan<byte> buffer)
    {
        fixed (byte* bytes = buffer)
        {
            return Send(fd, bytes, buffer.Length, MsgDontWait | MsgNoSignal);
        }
    }

    private static void ThrowUnlessWouldBlock()
    {
        var error = Marshal.GetLastPInvokeError();
        if (error is not (EAgain or EIntr))
        {
            throw new IOException($"The connection failed: {new SocketException(error).Message}", new SocketException(error));
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            // Out of the loop before the owner closes the socket; waiting reads and writes end.
            _loop.Remove(_fd, _id);
            GC.KeepAlive(_socket);
            _readable.Close();
            _writable.Close();
        }

        base.Dispose(disposing);
    }

    /// <summary>
    /// One direction's readiness: the loop signals it; a read or write that would block waits for it.
    /// A signal with nobody waiting is kept for the next wait, so none is lost between a try and its wait.
    /// </summary>
    private sealed class Readiness
    {
        private TaskCompletionSource? _waiter;
        private int _signalled;
        private volatile bool _closed;

        public void Signal()
        {
            if (Interlocked.Exchange(ref _waiter, null) is { } waiter)
            {
                // Completed here, on the loop's thread: the awaiting code goes on inline.
                waiter.TrySetResult();
            }
            else
            {
                Volatile.Write(ref _signalled, 1);
            }
        }

        public void Close()
        {
            _closed = true;
            Interlocked.Exchange(ref _waiter, null)?.TrySetException(new ObjectDisposedException(nameof(LoopSocketStream)));
        }

        public async ValueTask WaitAsync(CancellationToken cancellationToken)
        {
            ObjectDisposedException.ThrowIf(_closed, typeof(LoopSocketStream));
            var waiter = new TaskCompletionSource();
            Volatile.Write(ref _waiter, waiter);
            // A signal that came between the try and now: try again rather than wait for the next.
            if (Interlocked.Exchange(ref _signalled, 0) == 1 && Interlocked.CompareExchange(ref _waiter, null, waiter) == waiter)
            {
                return;
            }

            if (_closed)
            {
                Close();
            }

            using var cancelled = cancellationToken.Register(() =>
            {
                if (Interlocked.CompareExchange(ref _waiter, null, waiter) == waiter)
                {
                    waiter.TrySetCanceled(cancellationToken);
                }
            });
            await waiter.Task;
        }
    }
}
