using System.Buffers.Binary;
using System.Numerics;

namespace TokenOps.Core.Import;

/// <summary>
/// A fast, deterministic 64-bit hash for in-memory de-duplication keys (never for security, never persisted).
/// Multiply-rotate over 8-byte words with a final avalanche; collisions among a few million ids are ~1e-7 likely.
/// </summary>
public static class Hash64
{
    private const ulong P1 = 0x9E3779B185EBCA87UL;
    private const ulong P2 = 0xC2B2AE3D27D4EB4FUL;

    public static ulong Of(ReadOnlySpan<byte> data, ulong seed = 0)
    {
        var h = seed ^ P2 ^ (ulong)data.Length;
        while (data.Length >= 8)
        {
            h = BitOperations.RotateLeft(h ^ (BinaryPrimitives.ReadUInt64LittleEndian(data) * P1), 31) * P2;
            data = data[8..];
        }
        ulong tail = 0;
        for (var i = 0; i < data.Length; i++) tail |= (ulong)data[i] << (8 * i);
        h = BitOperations.RotateLeft(h ^ (tail * P1), 27) * P1;
        return Avalanche(h);
    }

    public static ulong Combine(ulong a, ulong b) => Avalanche(a ^ BitOperations.RotateLeft(b * P1, 29) ^ P2);

    private static ulong Avalanche(ulong h)
    {
        h ^= h >> 33; h *= P2; h ^= h >> 29; h *= P1; h ^= h >> 32;
        return h == 0 ? 1 : h; // 0 means "no key"
    }
}
