using System.Collections.Concurrent;
using System.Text.Json;
using TokenOps.Core.Budgets;
using TokenOps.Gateway.Budgets;
using TokenOps.Gateway.Providers;
using TokenOps.Gateway.Pipeline;
using TokenOps.Storage;
using TokenOps.Storage.Journal;

namespace TokenOps.Gateway.Batches;

/// <summary>
/// Turns an ended batch into ledger rows, once. Any replica may try (a client fetching results, the poller): it first
/// claims the batch in the store (one conditional UPDATE: one winner; a claim a crash left behind expires after
/// <see cref="ClaimTtl"/>), fetches the results from the provider, records one row per line (ids derived from batch id and
/// custom_id, so a second writer after a lost claim changes nothing), then marks the batch settled with its actual cost.
/// The budget hold lives in the process that admitted the batch (<see cref="Holds"/>): it is settled there with the
/// stored actual cost, by whichever call or poll of that process sees the batch settled.
/// </summary>
public sealed class BatchSettler(IBatchStore store, BatchUpstream upstream, ModelRouterHolder router, LedgerWriter ledger, BudgetEngine budgets,
    Metering.TokenCounter tokens, TimeProvider time, ILogger<BatchSettler> logger)
{
    public static readonly TimeSpan ClaimTtl = TimeSpan.FromMinutes(5);

    /// <summary>This process's name in settlement claims.</summary>
    public string Instance { get; } = Environment.MachineName + ":" + Environment.ProcessId + ":" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>Budget holds of batches this process admitted, by batch id.</summary>
    public ConcurrentDictionary<string, BudgetReservation> Holds { get; } = new(StringComparer.Ordinal);

    public static bool IsEnded(StoredBatch batch) => batch.Protocol switch
    {
        BatchProtocols.Anthropic => batch.Status == "ended",
        BatchProtocols.BackgroundResponse => Responses.BackgroundResponses.IsEnded(batch.Status),
        _ => batch.Status is "completed" or "failed" or "expired" or "cancelled",
    };

    /// <summary>Where the provider says how a batch (or background response) stands.</summary>
    public static string StatusPath(StoredBatch batch) => batch.Protocol switch
    {
        BatchProtocols.Anthropic => $"/v1/messages/batches/{batch.ProviderBatchId}",
        BatchProtocols.BackgroundResponse => $"/v1/responses/{batch.ProviderBatchId}",
        _ => $"/v1/batches/{batch.ProviderBatchId}",
    };

    /// <summary>Settles the batch if it has ended and nobody else holds the claim; true when its rows are in the ledger (now or before).</summary>
    public async Task<bool> TrySettleAsync(string batchId, CancellationToken cancel)
    {
        var batch = store.Find(batchId);
        if (batch is null) return false;
        if (batch.SettledAt is not null)
        {
            ReleaseHold(batch);
            return true;
        }
        if (!IsEnded(batch)) return false;
        var now = time.GetUtcNow();
        if (!store.TryClaimSettlement(batch.Id, Instance, now, now + ClaimTtl)) return false;
        var provider = router.Current.Provider(batch.Provider);
        if (provider is null)
        {
            logger.LogError("Batch {Batch}: provider '{Provider}' is no longer configured; cannot fetch its results", batch.Id, batch.Provider);
            return false;
        }
        if (batch.Protocol == BatchProtocols.BackgroundResponse) return await SettleResponseAsync(batch, provider, now, cancel);
        var documents = new List<byte[]>();
        if (batch.Protocol == BatchProtocols.Anthropic)
        {
            var answer = await upstream.SendAsync(provider, HttpMethod.Get, $"/v1/messages/batches/{batch.ProviderBatchId}/results", null, cancel);
            if (!answer.Ok) return Failed(batch, answer);
            documents.Add(answer.Body);
        }
        else
        {
            foreach (var file in new[] { batch.OutputFileId, batch.ErrorFileId })
            {
                if (file is null) continue;
                var answer = await upstream.SendAsync(provider, HttpMethod.Get, $"/v1/files/{file}/content", null, cancel);
                if (!answer.Ok) return Failed(batch, answer);
                documents.Add(answer.Body);
            }
        }
        long total = 0;
        var rows = 0;
        var endedAt = batch.EndedAt ?? now;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var document in documents)
        {
            foreach (var row in BatchRows.Read(batch, document, router.Current, endedAt))
            {
                if (!seen.Add(row.Id)) continue;
                ledger.Record(row);
                total += row.CostNanos;
                rows++;
            }
        }
        if (!store.MarkSettled(batch.Id, Instance, total, rows, time.GetUtcNow()))
        {
            logger.LogWarning("Batch {Batch}: settlement claim lost while writing (another replica took over); its rows are idempotent", batch.Id);
            return false;
        }
        logger.LogInformation("Batch {Batch} settled: {Rows} ledger rows, {Nanos} nano-USD", batch.Id, rows, total);
        ReleaseHold(batch with { SettledNanos = total });
        return true;
    }

    /// <summary>A background response's one row, from the response object as the provider has it now (claimed by the caller).</summary>
    private async Task<bool> SettleResponseAsync(StoredBatch batch, Providers.ProviderEndpoint provider, DateTimeOffset now, CancellationToken cancel)
    {
        var answer = await upstream.SendAsync(provider, HttpMethod.Get, StatusPath(batch), null, cancel);
        Core.Ledger.LedgerEntry row;
        if (answer.Status == 404) row = Responses.BackgroundResponses.GoneRow(batch, now);
        else if (!answer.Ok) return Failed(batch, answer);
        else row = Responses.BackgroundResponses.Row(batch, answer.Body, router.Current, tokens, time.GetUtcNow());
        ledger.Record(row);
        if (!store.MarkSettled(batch.Id, Instance, row.CostNanos, 1, time.GetUtcNow()))
        {
            logger.LogWarning("Background response {Id}: settlement claim lost while writing; its row is idempotent", batch.Id);
            return false;
        }
        ReleaseHold(batch with { SettledNanos = row.CostNanos });
        return true;
    }

    /// <summary>
    /// At start-up: holds again the worst case of every batch still running, since the in-process budget counters were
    /// rebuilt from the ledger and forgot the holds of the process that admitted them (without this a restart let a
    /// person spend the batch's money twice, and its rows, settled later, never reached the live counters). Shared
    /// counters (Redis) still have their holds: those are taken over by id (<see cref="StoredBatch.HoldId"/>), not held again,
    /// so that settling the batch here frees them instead of leaving them to their 25-hour TTL.
    /// </summary>
    public int AdoptHolds()
    {
        if (budgets.Policies.IsEmpty) return 0;
        var shared = budgets.Book.IsShared;
        var adopted = 0;
        var now = time.GetUtcNow();
        foreach (var batch in store.Unsettled(10_000))
        {
            if (batch.ReservedNanos <= 0 || Holds.ContainsKey(batch.Id) || (shared && batch.HoldId is null)) continue;
            var applicable = budgets.Policies.Applicable(batch.Person ?? "", batch.Team ?? "", batch.Project);
            if (applicable.Count == 0) continue;
            var counters = budgets.Book.CountersFor(applicable, now);
            var expires = batch.CreatedAt + TimeSpan.FromHours(25);
            Holds[batch.Id] = shared
                ? budgets.Book.AdoptShared(batch.HoldId!, counters, batch.ReservedNanos, batch.CreatedAt, expires)
                : budgets.Book.Adopt(counters, batch.ReservedNanos, batch.CreatedAt, expires);
            adopted++;
        }
        if (adopted > 0) logger.LogInformation("Batch lane: held again the worst case of {Count} batches still running", adopted);
        return adopted;
    }

    /// <summary>Frees this process's hold on a settled batch and books its actual cost (idempotent: the hold is removed once).</summary>
    public void ReleaseHold(StoredBatch batch)
    {
        if (batch.SettledNanos is { } actual && Holds.TryRemove(batch.Id, out var hold)) budgets.Book.Settle(hold, actual);
    }

    private bool Failed(StoredBatch batch, UpstreamAnswer answer)
    {
        logger.LogWarning("Batch {Batch}: results not fetched (provider answered {Status}); will retry", batch.Id, answer.Status);
        return false;
    }

    /// <summary>Reads a provider batch object into the store's status fields.</summary>
    public void Record(StoredBatch batch, byte[] providerBatch)
    {
        using var doc = JsonDocument.Parse(providerBatch);
        var root = doc.RootElement;
        string? S(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        string status;
        DateTimeOffset? ended = null;
        if (batch.Protocol == BatchProtocols.BackgroundResponse)
        {
            // A response: its status only; it names no files and its end time is when it is seen ended.
            status = S("status") ?? batch.Status;
            store.UpdateStatus(batch.Id, status, Responses.BackgroundResponses.IsEnded(status) ? time.GetUtcNow() : null, null, null);
            return;
        }
        if (batch.Protocol == BatchProtocols.Anthropic)
        {
            status = S("processing_status") ?? batch.Status;
            if (S("ended_at") is { } e) ended = DateTimeOffset.Parse(e, System.Globalization.CultureInfo.InvariantCulture);
        }
        else
        {
            status = S("status") ?? batch.Status;
            foreach (var field in new[] { "completed_at", "failed_at", "expired_at", "cancelled_at" })
                if (root.TryGetProperty(field, out var t) && t.ValueKind == JsonValueKind.Number) ended = DateTimeOffset.FromUnixTimeSeconds(t.GetInt64());
        }
        var output = S("output_file_id");
        var error = S("error_file_id");
        store.UpdateStatus(batch.Id, status, ended, output, error);
        // The result files belong to the batch's owner: only they may read them through the gateway.
        foreach (var file in new[] { output, error })
            if (file is not null)
                store.AddFile(new StoredBatchFile(file, batch.Provider, batch.Owner, batch.KeyId, "batch_output", null, 0, batch.Endpoint, 0, 0, batch.Id, time.GetUtcNow()));
    }
}

/// <summary>
/// Polls unsettled batches every <c>batches.pollSeconds</c> (jittered ±20 %, so replicas drift apart): asks the provider for
/// each one's status, settles those that ended, and frees this process's holds on batches another replica settled.
/// </summary>
public sealed class BatchPoller(IBatchStore store, BatchSettler settler, BatchUpstream upstream, ModelRouterHolder router,
    Configuration.GatewayOptions options, TimeProvider time, ILogger<BatchPoller> logger) : BackgroundService
{
    /// <summary>
    /// Holds again the running batches before the host starts serving (.NET 10 runs <see cref="ExecuteAsync"/> on the
    /// thread pool, so doing it there raced the first requests after a restart).
    /// </summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            settler.AdoptHolds();
        }
        catch (Exception ex)
        {
            logger.LogError("Batch lane: could not hold again the batches still running: {Message}", ex.Message);
        }
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var seconds = options.Batches.PollSeconds;
        if (seconds <= 0) return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var jitter = 0.8 + Random.Shared.NextDouble() * 0.4;
                await Task.Delay(TimeSpan.FromSeconds(seconds * jitter), time, stoppingToken);
                await PollOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning("Batch poll failed, will retry: {Message}", ex.Message);
            }
        }
    }

    public async Task PollOnceAsync(CancellationToken cancel)
    {
        foreach (var batch in store.Unsettled(100))
        {
            if (!BatchSettler.IsEnded(batch) && router.Current.Provider(batch.Provider) is { } provider)
            {
                var answer = await upstream.SendAsync(provider, HttpMethod.Get, BatchSettler.StatusPath(batch), null, cancel);
                // A background response deleted behind the gateway's back: settled as gone, so its hold is freed.
                if (answer.Status == 404 && batch.Protocol == BatchProtocols.BackgroundResponse)
                    store.UpdateStatus(batch.Id, Responses.BackgroundResponses.Gone, time.GetUtcNow(), null, null);
                else if (!answer.Ok) continue;
                else settler.Record(batch, answer.Body);
            }
            await settler.TrySettleAsync(batch.Id, cancel);
        }
        foreach (var id in settler.Holds.Keys)
            if (store.Find(id) is { SettledAt: not null } settled) settler.ReleaseHold(settled);
    }
}
