using System.Buffers.Binary;
using System.Numerics;

namespace TokenOps.Core.Waste;

/// <summary>
/// A 64-bit hash of bytes that is the same in every process and on every machine (string.GetHashCode is not), eight
/// bytes a step so that hashing a large prompt costs little next to parsing it. Not cryptographic: it identifies
/// repeats, it protects nothing.
/// </summary>
public struct StableHash
{
    private ulong _state;
    private bool _any;

    public StableHash() => _state = 0x9E3779B97F4A7C15UL;

    public readonly bool IsEmpty => !_any;

    public void Add(ReadOnlySpan<byte> bytes)
    {
        _any = true;
        var h = _state ^ (ulong)bytes.Length * 0xFF51AFD7ED558CCDUL;
        while (bytes.Length >= 8)
        {
            h = BitOperations.RotateLeft((h ^ BinaryPrimitives.ReadUInt64LittleEndian(bytes)) * 0x9FB21C651E98DF25UL, 29);
            bytes = bytes[8..];
        }
        ulong tail = 0;
        for (var i = 0; i < bytes.Length; i++) tail |= (ulong)bytes[i] << (8 * i);
        h = BitOperations.RotateLeft((h ^ tail) * 0x9FB21C651E98DF25UL, 29);
        _state = h;
    }

    public readonly long Value
    {
        get
        {
            var z = _state;
            z = (z ^ (z >> 33)) * 0xFF51AFD7ED558CCDUL;
            z = (z ^ (z >> 33)) * 0xC4CEB9FE1A85EC53UL;
            return (long)(z ^ (z >> 33));
        }
    }

    public static long Of(ReadOnlySpan<byte> bytes)
    {
        var h = new StableHash();
        h.Add(bytes);
        return h.Value;
    }
}
