using System.Net.Sockets;
using System.Runtime.InteropServices;
using static LocalMesh.Emulator.Sockets.EventLoop.Native;

namespace LocalMesh.Emulator.Sockets;

/// <summary>
/// A TCP connection's bytes both ways between two plaintext sockets, on an <see cref="EventLoop"/>:
/// each readiness is read and written on the loop's thread until the kernel has no more, as nginx's
/// <c>stream</c> proxy does. The same rules as the pipe-based pump: the caller's end of sending is
/// passed on as a half-close, the upstream's end (or a failure either side, or <see cref="Abort"/>)
/// ends the connection.
/// </summary>
internal sealed unsafe class SocketRelay : EventLoop.ILoopHandler
{
    private const int BufferLength = 16 * 1024;
    private const int Downstream = 0;
    private const int Upstream = 1;

    private readonly EventLoop _loop;
    private readonly Socket _downstream;
    private readonly Socket _upstream;
    private readonly Action<long> _received;
    private readonly Action<long> _sent;
    private readonly TimeProvider _time;
    private readonly Flow _toUpstream;
    private readonly Flow _toDownstream;
    private readonly TaskCompletionSource<bool> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _downstreamId = -1;
    private long _upstreamId = -1;
    private long _lastActive;
    private bool _finished;

    private SocketRelay(EventLoop loop, Socket downstream, Socket upstream, Action<long> received, Action<long> sent, TimeProvider time)
    {
        _loop = loop;
        _downstream = downstream;
        _upstream = upstream;
        _received = received;
        _sent = sent;
        _time = time;
        _lastActive = time.GetTimestamp();
        _toUpstream = new Flow((int)downstream.Handle, (int)upstream.Handle);
        _toDownstream = new Flow((int)upstream.Handle, (int)downstream.Handle);
    }

    /// <summary>When a byte last moved either way, as a timestamp of the injected clock.</summary>
    public long LastActive => Interlocked.Read(ref _lastActive);

    /// <summary>
    /// Starts relaying between <paramref name="downstream"/> and <paramref name="upstream"/>; the task
    /// ends with the connection, true when it ended because the upstream failed (Envoy's <c>UC</c>).
    /// Neither socket may have had a .NET asynchronous operation; both stay their owners' to close.
    /// <paramref name="received"/> and <paramref name="sent"/> are told the bytes written upstream and downstream.
    /// </summary>
    public static SocketRelay Start(Socket downstream, Socket upstream, Action<long> received, Action<long> sent, TimeProvider time)
    {
        var relay = new SocketRelay(EventLoop.Next(), downstream, upstream, received, sent, time);
        relay._loop.Post(relay.Register);
        return relay;
    }

    /// <summary>Completes when the connection has ended: true when the upstream failed.</summary>
    public Task<bool> Ended => _ended.Task;

    /// <summary>Ends the connection from outside (an idle timeout, a policy that now denies it).</summary>
    public void Abort() => _loop.Post(() => Finish(upstreamFailed: false));

    private void Register()
    {
        _downstreamId = _loop.Add(_toUpstream.From, this, Downstream);
        _upstreamId = _loop.Add(_toDownstream.From, this, Upstream);
        if (_downstreamId < 0 || _upstreamId < 0)
        {
            Finish(upstreamFailed: _upstreamId < 0);
        }
    }

    public void OnEvents(int side, uint events)
    {
        if (_finished)
        {
            return;
        }

        Interlocked.Exchange(ref _lastActive, _time.GetTimestamp());
        // What this socket's readiness moves: its bytes out (readable), and bytes waiting for it (writable).
        var (from, to) = side == Downstream ? (_toUpstream, _toDownstream) : (_toDownstream, _toUpstream);
        if ((events & (EpollIn | EpollRdHup | EpollHup | EpollErr)) != 0)
        {
            from.Readable = true;
            from.EndSeen |= (events & (EpollRdHup | EpollHup | EpollErr)) != 0;
            Pump(from);
        }

        if ((events & (EpollOut | EpollHup | EpollErr)) != 0 && to.Offset < to.Length && !_finished)
        {
            Pump(to);
        }
    }

    /// <summary>Moves a flow's bytes until one side would block, the source has no more, the source ends, or a side fails.</summary>
    private void Pump(Flow flow)
    {
        while (!_finished)
        {
            if (flow.Offset < flow.Length)
            {
                var sent = Send(flow.To, flow.Buffer + flow.Offset, flow.Length - flow.Offset, MsgDontWait | MsgNoSignal);
                if (sent < 0)
                {
                    if (WouldBlock())
                    {
                        // The rest goes when the destination is writable again; the source waits till then.
                        return;
                    }

                    Finish(upstreamFailed: flow == _toDownstream);
                    return;
                }

                flow.Offset += (int)sent;
                (flow == _toUpstream ? _received : _sent)(sent);

                continue;
            }

            flow.Offset = flow.Length = 0;
            if (flow.Ended || !flow.Readable)
            {
                return;
            }

            var read = Recv(flow.From, flow.Buffer, BufferLength, MsgDontWait);
            if (read > 0)
            {
                flow.Length = (int)read;
                // A short read took all there was (as nginx assumes): the next bytes come with an event
                // of their own, so no read is spent on "nothing more". Not once the end was seen: it comes with no event.
                flow.Readable = read == BufferLength || flow.EndSeen;
                continue;
            }

            if (read < 0)
            {
                if (WouldBlock())
                {
                    flow.Readable = false;
                    return;
                }

                Finish(upstreamFailed: flow == _toDownstream);
                return;
            }

            // The source ended its sending: the caller's end is passed on, the upstream's ends the connection.
            flow.Ended = true;
            if (flow == _toDownstream)
            {
                Finish(upstreamFailed: false);
                return;
            }

            _ = Shutdown(flow.To, ShutWr);
            return;
        }
    }

    private static bool WouldBlock() => Marshal.GetLastPInvokeError() is EAgain or EIntr;

    private void Finish(bool upstreamFailed)
    {
        if (_finished)
        {
            return;
        }

        _finished = true;
        if (_downstreamId >= 0)
        {
            _loop.Remove(_toUpstream.From, _downstreamId);
        }

        if (_upstreamId >= 0)
        {
            _loop.Remove(_toDownstream.From, _upstreamId);
        }

        _toUpstream.Dispose();
        _toDownstream.Dispose();
        GC.KeepAlive(_downstream);
        GC.KeepAlive(_upstream);
        _ended.TrySetResult(upstreamFailed);
    }

    /// <summary>One direction: the bytes read from one socket and not yet written to the other.</summary>
    private sealed class Flow(int from, int to) : IDisposable
    {
        public int From { get; } = from;

        public int To { get; } = to;

        public byte* Buffer { get; private set; } = (byte*)NativeMemory.Alloc(BufferLength);

        public int Offset { get; set; }

        public int Length { get; set; }

        /// <summary>The source ended its sending.</summary>
        public bool Ended { get; set; }

        /// <summary>The source may have bytes to read: it said so, and no read since found it empty.</summary>
        public bool Readable { get; set; }

        /// <summary>The source said its end (or a failure) is there to read.</summary>
        public bool EndSeen { get; set; }

        public void Dispose()
        {
            NativeMemory.Free(Buffer);
            Buffer = null;
        }
    }
}
