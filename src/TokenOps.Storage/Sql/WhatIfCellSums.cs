using TokenOps.Core.Metering;
using TokenOps.Core.Planning;

namespace TokenOps.Storage.Sql;

/// <summary>
/// Sums ledger rows into what-if cells in the reader's process, for a backend that would otherwise sort every row to
/// group them (SQLite). A cell is keyed by "team␟model␟lane" plus its two size bands, looked up by span, so a row costs
/// no allocation unless it opens a cell.
/// </summary>
internal sealed class WhatIfCellSums
{
    public const char Separator = '\u001f';
    private readonly Dictionary<string, Cell> _cells = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Cell>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly WhatIfQuery _query;

    public WhatIfCellSums(WhatIfQuery query)
    {
        _query = query;
        _lookup = _cells.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>
    /// Adds one row. <paramref name="key"/> is "team␟model␟lane" with two spare chars at the end for the bands;
    /// returns the cell and whether the row opened it (the caller then names its example).
    /// </summary>
    public Cell Add(Span<char> key, int keyLength, long uncached, long read, long write5m, long write1h, long output, long reasoning,
        long webSearch, long fileSearch, long costNanos, out bool opened)
    {
        key[keyLength] = (char)('0' + Exceeded(_query.InputBounds, uncached + read + write5m + write1h));
        key[keyLength + 1] = (char)('0' + Exceeded(_query.OutputBounds, output));
        var span = key[..(keyLength + 2)];
        opened = !_lookup.TryGetValue(span, out var cell);
        if (opened) _lookup[span] = cell = new Cell();
        cell!.Requests++;
        cell.UncachedInput += uncached;
        cell.CacheRead += read;
        cell.CacheWrite5m += write5m;
        cell.CacheWrite1h += write1h;
        cell.Output += output;
        cell.Reasoning += Math.Min(reasoning, output);
        cell.WebSearchCalls += webSearch;
        cell.FileSearchCalls += fileSearch;
        cell.CostNanos += costNanos;
        if (reasoning > 0) cell.WithReasoning++;
        return cell;
    }

    /// <summary>Adds another reader's cells (the same query over another slice of the table) into these.</summary>
    public void Merge(WhatIfCellSums other)
    {
        foreach (var (key, o) in other._cells)
        {
            if (!_cells.TryGetValue(key, out var c))
            {
                _cells[key] = o;
                continue;
            }
            c.Requests += o.Requests; c.UncachedInput += o.UncachedInput; c.CacheRead += o.CacheRead; c.CacheWrite5m += o.CacheWrite5m;
            c.CacheWrite1h += o.CacheWrite1h; c.Output += o.Output; c.Reasoning += o.Reasoning; c.WebSearchCalls += o.WebSearchCalls;
            c.FileSearchCalls += o.FileSearchCalls; c.CostNanos += o.CostNanos; c.WithReasoning += o.WithReasoning;
            // Slices are merged in table order, so the first slice's example is the first row met.
            c.ReasoningExample ??= o.ReasoningExample;
        }
    }

    public IReadOnlyList<WhatIfCell> Cells() => _cells.Select(c =>
    {
        var parts = c.Key[..^2].Split(Separator);
        var s = c.Value;
        return new WhatIfCell(parts[0], parts[1], Enum.Parse<ServiceTier>(parts[2]), c.Key[^2] - '0', c.Key[^1] - '0', s.Requests, s.UncachedInput,
            s.CacheRead, s.CacheWrite5m, s.CacheWrite1h, s.Output, s.Reasoning, s.WebSearchCalls, s.FileSearchCalls, s.CostNanos, s.WithReasoning,
            s.ReasoningExample, s.Example ?? "");
    }).ToList();

    /// <summary>How many of the ascending <paramref name="bounds"/> the value exceeds.</summary>
    private static int Exceeded(IReadOnlyList<long> bounds, long value)
    {
        var n = 0;
        while (n < bounds.Count && value > bounds[n]) n++;
        return n;
    }

    internal sealed class Cell
    {
        public long Requests, UncachedInput, CacheRead, CacheWrite5m, CacheWrite1h, Output, Reasoning, WebSearchCalls, FileSearchCalls, CostNanos, WithReasoning;
        public string? ReasoningExample;
        public string? Example;
    }
}
