namespace TokenOps.Storage.Journal;

/// <summary>How the journal sizes its segments and how much disk it leaves to others (SQLite lives on the same disk).</summary>
public sealed record JournalSettings
{
    /// <summary>Room allocated per segment when it is created (real blocks, not a sparse file); cut to size on close.</summary>
    public long SegmentBytes { get; init; } = 8L << 20;

    /// <summary>A segment is closed after this many events, so committed ones can be deleted soon.</summary>
    public int EventsPerSegment { get; init; } = 4096;

    /// <summary>A new segment is only created while this much disk would remain free after it: room for SQLite's writes
    /// and for the operator's shell.</summary>
    public long MinFreeBytes { get; init; } = 64L << 20;

    /// <summary>Sync the mapped pages on every append (survives power loss, not only process death).</summary>
    public bool FlushToDisk { get; init; }
}
