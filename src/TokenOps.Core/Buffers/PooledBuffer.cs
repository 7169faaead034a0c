using System.Buffers;

namespace TokenOps.Core.Buffers;

/// <summary>Growing a buffer rented from <see cref="ArrayPool{T}.Shared"/> (request and response relays, log reading).</summary>
public static class PooledBuffer
{
    /// <summary>Swaps <paramref name="buffer"/> for a pooled one at least twice as large (and at least
    /// <paramref name="minimumLength"/>), keeping its first <paramref name="filled"/> bytes; the old one goes back to the pool.</summary>
    public static void Grow(ref byte[] buffer, int filled, int minimumLength = 0)
    {
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(buffer.Length * 2, minimumLength));
        buffer.AsSpan(0, filled).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = bigger;
    }
}
