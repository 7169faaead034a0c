using System.Buffers.Binary;

namespace TokenOps.Gateway.Pipeline;

/// <summary>
/// Ledger event ids: "evt_" + a version-7 UUID in hex (time-ordered, so ledger inserts append to the id index). The
/// random bits come from the process's fast generator, seeded once from the OS: <see cref="Guid.CreateVersion7()"/>
/// read /dev/urandom on every call, a system call per request. The ids must be unique, not secret.
/// </summary>
public static class EventIds
{
    public static string New(DateTimeOffset at)
    {
        Span<byte> uuid = stackalloc byte[16];
        Random.Shared.NextBytes(uuid[6..]);
        // RFC 9562: 48-bit big-endian Unix milliseconds, then version 7 and the 10xx variant over random bits.
        Span<byte> millis = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(millis, at.ToUnixTimeMilliseconds());
        millis[2..].CopyTo(uuid);
        uuid[6] = (byte)((uuid[6] & 0x0F) | 0x70);
        uuid[8] = (byte)((uuid[8] & 0x3F) | 0x80);
        Span<char> text = stackalloc char[36];
        "evt_".CopyTo(text);
        Convert.TryToHexStringLower(uuid, text[4..], out _);
        return new string(text);
    }
}
