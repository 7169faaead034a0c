using System.Collections.Concurrent;
using System.Runtime.Intrinsics;

namespace TokenOps.Routing.Similarity;

/// <summary>The best match a <see cref="SemanticIndex"/> found: the entry key given to <see cref="SemanticIndex.Add"/>
/// and the cosine similarity to the query.</summary>
public sealed record SemanticMatch(string EntryKey, float Similarity);

/// <summary>
/// The semantic cache matcher's index: per tenant, entries bucketed by (context hash, guard hash), each a unit vector
/// and an opaque entry key (the exact cache's key; never prompt text). A lookup scans only the query's bucket with
/// SIMD dot products, so prompts that differ in a number, a negation, a name or the language are never compared.
/// Vectors are kept as int8 with one scale each (a quarter of the memory a scan reads; cosine within about 0.01).
/// Each tenant holds at most <c>maxEntriesPerTenant</c> entries; the oldest added goes first (FIFO). Thread-safe: a
/// reader-writer lock per tenant, lookups in parallel.
/// </summary>
public sealed class SemanticIndex
{
    private readonly ConcurrentDictionary<string, TenantEntries> _tenants = new(StringComparer.Ordinal);
    private readonly int _maxEntriesPerTenant;

    public int Dimensions { get; }

    public SemanticIndex(int dimensions, int maxEntriesPerTenant = 100_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEntriesPerTenant, 1);
        Dimensions = dimensions;
        _maxEntriesPerTenant = maxEntriesPerTenant;
    }

    /// <summary>An index sized for <see cref="SentenceVectors.Default"/>.</summary>
    public static SemanticIndex ForDefaultVectors(int maxEntriesPerTenant = 100_000) => new(SentenceVectors.Default.Dimensions, maxEntriesPerTenant);

    public int Count(string tenant) => _tenants.TryGetValue(tenant, out var t) ? t.Count : 0;

    /// <summary>Adds (or replaces, for the same entry key in the same bucket) an entry for an eligible query.</summary>
    public void Add(string tenant, SemanticQuery query, string entryKey)
    {
        if (!query.IsEligible) throw new ArgumentException($"the query is not eligible: {query.Reason}", nameof(query));
        Add(tenant, query.ContextHash, query.GuardHash, query.Vector, entryKey);
    }

    public void Add(string tenant, ulong contextHash, ulong guardHash, ReadOnlySpan<float> vector, string entryKey)
    {
        if (vector.Length != Dimensions) throw new ArgumentException($"expected {Dimensions} dimensions", nameof(vector));
        ArgumentException.ThrowIfNullOrEmpty(entryKey);
        _tenants.GetOrAdd(tenant, _ => new TenantEntries(Dimensions, _maxEntriesPerTenant)).Add(new BucketKey(contextHash, guardHash), vector, entryKey);
    }

    /// <summary>The most similar entry in the query's bucket at or above <paramref name="threshold"/>, or null.</summary>
    public SemanticMatch? Find(string tenant, SemanticQuery query, float threshold) =>
        query.IsEligible ? Find(tenant, query.ContextHash, query.GuardHash, query.Vector, threshold) : null;

    public SemanticMatch? Find(string tenant, ulong contextHash, ulong guardHash, ReadOnlySpan<float> vector, float threshold)
    {
        if (vector.Length != Dimensions) throw new ArgumentException($"expected {Dimensions} dimensions", nameof(vector));
        return _tenants.TryGetValue(tenant, out var t) ? t.Find(new BucketKey(contextHash, guardHash), vector, threshold) : null;
    }

    private readonly record struct BucketKey(ulong Context, ulong Guard);

    private sealed class TenantEntries(int dimensions, int capacity)
    {
        private readonly ReaderWriterLockSlim _lock = new();
        private readonly Dictionary<BucketKey, Bucket> _buckets = [];
        private readonly Queue<(BucketKey Key, long Sequence)> _order = new();
        private long _sequence;

        public int Count
        {
            get
            {
                _lock.EnterReadLock();
                try { return _order.Count; }
                finally { _lock.ExitReadLock(); }
            }
        }

        public void Add(BucketKey key, ReadOnlySpan<float> vector, string entryKey)
        {
            _lock.EnterWriteLock();
            try
            {
                if (!_buckets.TryGetValue(key, out var bucket)) _buckets[key] = bucket = new Bucket(dimensions);
                var existing = bucket.IndexOf(entryKey);
                if (existing >= 0)
                {
                    bucket.Set(existing, vector);
                    return;
                }
                var sequence = ++_sequence;
                bucket.Append(vector, entryKey, sequence);
                _order.Enqueue((key, sequence));
                while (_order.Count > capacity)
                {
                    var (oldKey, oldSequence) = _order.Dequeue();
                    var old = _buckets[oldKey];
                    old.RemoveSequence(oldSequence);
                    if (old.Count == 0) _buckets.Remove(oldKey);
                }
            }
            finally { _lock.ExitWriteLock(); }
        }

        public SemanticMatch? Find(BucketKey key, ReadOnlySpan<float> vector, float threshold)
        {
            _lock.EnterReadLock();
            try
            {
                if (!_buckets.TryGetValue(key, out var bucket)) return null;
                Span<sbyte> query = dimensions <= 1024 ? stackalloc sbyte[dimensions] : new sbyte[dimensions];
                var queryScale = Quantised.Write(vector, query);
                var best = -1;
                var bestScore = float.NegativeInfinity;
                for (var i = 0; i < bucket.Count; i++)
                {
                    var score = bucket.Scale(i) * Quantised.Dot(bucket.Vector(i), query);
                    if (score > bestScore) { bestScore = score; best = i; }
                }
                bestScore *= queryScale;
                return best >= 0 && bestScore >= threshold ? new SemanticMatch(bucket.Key(best), bestScore) : null;
            }
            finally { _lock.ExitReadLock(); }
        }
    }

    // Vectors back to back in one array, so a scan walks memory in order; removal moves the last entry into the gap.
    private sealed class Bucket(int dimensions)
    {
        private sbyte[] _vectors = new sbyte[dimensions * 4];
        private float[] _scales = new float[4];
        private string[] _keys = new string[4];
        private long[] _sequences = new long[4];

        public int Count { get; private set; }

        public ReadOnlySpan<sbyte> Vector(int i) => _vectors.AsSpan(i * dimensions, dimensions);
        public float Scale(int i) => _scales[i];
        public void Set(int i, ReadOnlySpan<float> vector) => _scales[i] = Quantised.Write(vector, _vectors.AsSpan(i * dimensions, dimensions));
        public string Key(int i) => _keys[i];

        public int IndexOf(string entryKey) => Array.IndexOf(_keys, entryKey, 0, Count);

        public void Append(ReadOnlySpan<float> vector, string entryKey, long sequence)
        {
            if (Count == _keys.Length)
            {
                Array.Resize(ref _vectors, _vectors.Length * 2);
                Array.Resize(ref _scales, _scales.Length * 2);
                Array.Resize(ref _keys, _keys.Length * 2);
                Array.Resize(ref _sequences, _sequences.Length * 2);
            }
            Set(Count, vector);
            _keys[Count] = entryKey;
            _sequences[Count] = sequence;
            Count++;
        }

        public void RemoveSequence(long sequence)
        {
            var i = Array.IndexOf(_sequences, sequence, 0, Count);
            if (i < 0) return;
            var last = Count - 1;
            if (i != last)
            {
                Vector(last).CopyTo(_vectors.AsSpan(i * dimensions, dimensions));
                _scales[i] = _scales[last];
                _keys[i] = _keys[last];
                _sequences[i] = _sequences[last];
            }
            _keys[last] = null!;
            Count--;
        }
    }

    // int8 with one scale per vector: x ≈ scale * q, q in [-127, 127], so a product fits a short and sums widen to int.
    private static class Quantised
    {
        public static float Write(ReadOnlySpan<float> vector, Span<sbyte> into)
        {
            var max = System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(vector);
            max = Math.Abs(max);
            if (max == 0) { into.Clear(); return 0; }
            var k = 127f / max;
            for (var d = 0; d < vector.Length; d++) into[d] = (sbyte)Math.Round(vector[d] * k);
            return max / 127f;
        }

        public static int Dot(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b)
        {
            var i = 0;
            var sum = 0;
            if (Vector256.IsHardwareAccelerated && a.Length >= Vector256<sbyte>.Count)
            {
                var acc = Vector256<int>.Zero;
                for (; i <= a.Length - Vector256<sbyte>.Count; i += Vector256<sbyte>.Count)
                {
                    var (alo, ahi) = Vector256.Widen(Vector256.Create(a[i..]));
                    var (blo, bhi) = Vector256.Widen(Vector256.Create(b[i..]));
                    var (p1, p2) = Vector256.Widen(alo * blo);
                    var (p3, p4) = Vector256.Widen(ahi * bhi);
                    acc += p1 + p2 + p3 + p4;
                }
                sum = Vector256.Sum(acc);
            }
            for (; i < a.Length; i++) sum += a[i] * b[i];
            return sum;
        }
    }
}
