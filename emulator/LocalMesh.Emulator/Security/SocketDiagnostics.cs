using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;

namespace LocalMesh.Emulator.Security;

/// <summary>
/// Linux's socket diagnostics (netlink <c>NETLINK_SOCK_DIAG</c>, as <c>ss</c> uses): the inode of one
/// TCP socket found by its addresses and ports, without listing every socket on the machine.
/// </summary>
internal static partial class SocketDiagnostics
{
    private const int AfNetlink = 16;
    private const int AfInet = 2;
    private const int AfInet6 = 10;
    private const int SockDgram = 2;
    private const int SockCloexec = 0x80000;
    private const int NetlinkSockDiag = 4;
    private const ushort SockDiagByFamily = 20;
    private const ushort NlmsgError = 2;
    private const ushort NlmFRequest = 1;
    private const byte IpProtoTcp = 6;
    private const int HeaderLength = 16;      // struct nlmsghdr
    private const int RequestLength = 56;     // struct inet_diag_req_v2
    private const int InodeOffset = HeaderLength + 68; // struct inet_diag_msg: family, state, timer, retrans, id (48), expires, rqueue, wqueue, uid, inode

    /// <summary>The inode of the socket bound to <paramref name="client"/> and connected to <paramref name="serverPort"/> on the same address; null when there is none or the query fails.</summary>
    public static long? Inode(IPEndPoint client, int serverPort)
    {
        // A client may have connected from a dual-stack socket (HttpClient does) or an IPv4 one.
        return Query(AfInet6, client.Address.MapToIPv6(), client.Port, serverPort)
            ?? Query(AfInet, client.Address.MapToIPv4(), client.Port, serverPort);
    }

    private static long? Query(int family, IPAddress address, int sourcePort, int destinationPort)
    {
        var request = new byte[HeaderLength + RequestLength];
        BinaryPrimitives.WriteUInt32LittleEndian(request.AsSpan(0), (uint)request.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(request.AsSpan(4), SockDiagByFamily);
        BinaryPrimitives.WriteUInt16LittleEndian(request.AsSpan(6), NlmFRequest);
        var body = request.AsSpan(HeaderLength);
        body[0] = (byte)family;
        body[1] = IpProtoTcp;
        BinaryPrimitives.WriteUInt32LittleEndian(body[4..], uint.MaxValue); // every state
        var id = body[8..];
        BinaryPrimitives.WriteUInt16BigEndian(id, (ushort)sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(id[2..], (ushort)destinationPort);
        var bytes = address.GetAddressBytes();
        bytes.CopyTo(id[4..]);  // source
        bytes.CopyTo(id[20..]); // destination: the same loopback address
        BinaryPrimitives.WriteUInt32LittleEndian(id[40..], uint.MaxValue); // INET_DIAG_NOCOOKIE
        BinaryPrimitives.WriteUInt32LittleEndian(id[44..], uint.MaxValue);

        var socket = Socket(AfNetlink, SockDgram | SockCloexec, NetlinkSockDiag);
        if (socket < 0)
        {
            return null;
        }

        try
        {
            if (Send(socket, request, request.Length, 0) != request.Length)
            {
                return null;
            }

            var answer = new byte[512];
            var received = (int)Receive(socket, answer, answer.Length, 0);
            if (received < InodeOffset + 4 || BinaryPrimitives.ReadUInt16LittleEndian(answer.AsSpan(4)) == NlmsgError)
            {
                return null;
            }

            return BinaryPrimitives.ReadUInt32LittleEndian(answer.AsSpan(InodeOffset));
        }
        finally
        {
            Close(socket);
        }
    }

    /// <summary>Whether descriptor <paramref name="descriptor"/> (a <c>/proc/&lt;pid&gt;/fd/&lt;n&gt;</c> path) is the socket <paramref name="inode"/>, read without the allocations of <see cref="FileSystemInfo.LinkTarget"/>.</summary>
    public static bool IsSocket(string descriptor, long inode)
    {
        Span<byte> target = stackalloc byte[64];
        var length = (int)ReadLink(descriptor, ref MemoryMarshal.GetReference(target), target.Length);
        // "socket:[<inode>]"
        return length > 9 && target[..8].SequenceEqual("socket:["u8)
            && long.TryParse(target[8..(length - 1)], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var found)
            && found == inode;
    }

    [LibraryImport("libc", EntryPoint = "readlink", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint ReadLink(string path, ref byte buffer, nint size);

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    private static partial nint Send(int socket, byte[] buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static partial nint Receive(int socket, byte[] buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int socket);
}
