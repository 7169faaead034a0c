using System.Threading.Channels;
using TokenOps.Core.Ledger;

namespace TokenOps.Storage.Journal;

/// <summary>
/// Takes ledger events off the request path: journal first (durable), then a channel drained in batches into the
/// store. A store outage only delays rows; they stay in the journal and the batch is retried. An event the journal
/// could not take (no segment room: see <see cref="LedgerJournal"/>) is still queued, so it reaches the store all the same.
/// </summary>
public sealed class LedgerWriter : IAsyncDisposable
{
    private const int MaxBatch = 1024;
    /// <summary>How long a batch may gather before it is written (rows reach the store this much later; none is at risk).
    /// A flush cuts the wait short.</summary>
    public static readonly TimeSpan DefaultBatchWindow = TimeSpan.FromMilliseconds(50);
    private readonly ILedgerStore _store;
    private readonly LedgerJournal _journal;
    private readonly Action<Exception>? _onStoreError;
    private readonly Channel<(LedgerEntry Entry, long Segment)> _channel =
        Channel.CreateUnbounded<(LedgerEntry, long)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;
    private long _recorded;
    private long _committed;
    private long _heldInMemory;
    /// <summary>Released by <see cref="FlushAsync"/> so that a waiting batch is written now, not at the end of its window.</summary>
    private readonly SemaphoreSlim _flushNow = new(0, 1);

    private readonly TimeSpan _batchWindow;
    /// <summary>How long shutdown waits for a store that keeps failing.</summary>
    public static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(10);
    private readonly CancellationTokenSource _giveUp = new();
    private int _disposed;

    public LedgerWriter(ILedgerStore store, LedgerJournal journal, Action<Exception>? onStoreError = null, TimeSpan? batchWindow = null)
    {
        _batchWindow = batchWindow ?? DefaultBatchWindow;
        _store = store;
        _journal = journal;
        _onStoreError = onStoreError;
        Recover();
        _loop = Task.Run(DrainAsync);
    }

    /// <summary>How many events a previous process left in the journal and this one replayed at start.</summary>
    public int Replayed { get; private set; }

    /// <summary>Events the journal had no room for, not yet in the store: they exist only in this process's memory.
    /// Few by design: while the journal cannot record, the gateway forwards no new requests.</summary>
    public long HeldInMemory => Interlocked.Read(ref _heldInMemory);

    /// <summary>Events recorded but not yet in the store (a store outage makes this grow; they are safe in the journal).</summary>
    public long Pending => Interlocked.Read(ref _recorded) - Interlocked.Read(ref _committed);

    public void Record(LedgerEntry entry)
    {
        var segment = _journal.Append(entry);
        if (segment == LedgerJournal.NotJournalled) Interlocked.Increment(ref _heldInMemory);
        Interlocked.Increment(ref _recorded);
        _channel.Writer.TryWrite((entry, segment));
    }

    /// <summary>Completes when every event recorded before the call is in the store.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var target = Interlocked.Read(ref _recorded);
        while (Interlocked.Read(ref _committed) < target)
        {
            if (_flushNow.CurrentCount == 0)
            {
                try { _flushNow.Release(); }
                catch (SemaphoreFullException) { }
            }
            await Task.Delay(2, cancellationToken);
        }
    }

    private void Recover()
    {
        var pending = _journal.ReadRecovered().ToList();
        for (var i = 0; i < pending.Count; i += MaxBatch)
            _store.Write(pending.GetRange(i, Math.Min(MaxBatch, pending.Count - i)));
        Replayed = pending.Count;
        _journal.DiscardRecovered();
    }

    private async Task DrainAsync()
    {
        var batch = new List<(LedgerEntry Entry, long Segment)>(MaxBatch);
        var reader = _channel.Reader;
        while (await reader.WaitToReadAsync())
        {
            // Group commit: let a batch gather for a moment. Each store write parses and prepares its statements,
            // opens a transaction and updates the rollups; per row that overhead dominated at a few rows per batch.
            // Durability does not wait for this: every event is already in the journal.
            if (_batchWindow > TimeSpan.Zero) await _flushNow.WaitAsync(_batchWindow);
            while (batch.Count < MaxBatch && reader.TryRead(out var item)) batch.Add(item);
            if (!await WriteWithRetryAsync(batch)) return; // shutting down with a store that cannot write
            foreach (var group in batch.GroupBy(b => b.Segment))
            {
                if (group.Key == LedgerJournal.NotJournalled) Interlocked.Add(ref _heldInMemory, -group.Count());
                else _journal.MarkCommitted(group.Key, group.Count());
            }
            Interlocked.Add(ref _committed, batch.Count);
            batch.Clear();
        }
    }

    /// <summary>Retries until the store takes the batch, however long it is down (a full disk, a locked file); gives up
    /// only at shutdown, after <see cref="ShutdownGrace"/>.</summary>
    private async Task<bool> WriteWithRetryAsync(List<(LedgerEntry Entry, long Segment)> batch)
    {
        var entries = batch.Select(b => b.Entry).ToList();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                _store.Write(entries);
                LedgerWriterMetrics.BatchRows.Record(entries.Count);
                return true;
            }
            catch (Exception ex)
            {
                _onStoreError?.Invoke(ex);
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 50 * (1 << Math.Min(attempt, 7)))), _giveUp.Token);
                }
                catch (OperationCanceledException)
                {
                    return false;
                }
            }
        }
    }

    /// <summary>Idempotent: the gateway disposes the writer when it stops, and the service provider again after.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _channel.Writer.TryComplete();
        // A store that cannot write must not hold shutdown: what it did not commit stays in the journal (its segments
        // are not deleted) and is replayed on start; only events the journal itself could not take are lost then.
        _giveUp.CancelAfter(ShutdownGrace);
        await _loop;
        if (HeldInMemory > 0) _onStoreError?.Invoke(new IOException($"{HeldInMemory} ledger events were neither journalled nor stored at shutdown"));
        _journal.Dispose();
        _giveUp.Dispose();
    }
}
