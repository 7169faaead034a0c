namespace TokenOps.Core.Import;

/// <summary>Interns short UTF-8 values (model names, session ids) so repeated values allocate once. Not thread-safe: one per parser.</summary>
public sealed class StringPool
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public StringPool() => _lookup = _values.GetAlternateLookup<ReadOnlySpan<char>>();

    public string Get(ReadOnlySpan<char> value)
    {
        if (_lookup.TryGetValue(value, out var s)) return s;
        s = value.ToString();
        if (_values.Count < 100_000) _values[s] = s; // bounded: pathological inputs cannot grow it without limit
        return s;
    }
}
