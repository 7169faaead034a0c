using System.Text.Json;
using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
using TokenOps.Core.Savings;
using TokenOps.Gateway.Metering;
using TokenOps.Gateway.Responses;
using TokenOps.Gateway.Telemetry;
using TokenOps.Storage.Journal;

namespace TokenOps.Gateway.Pipeline;

/// <summary>
/// Turns the context into exactly one ledger row: provider usage when it arrived, otherwise a tokenizer estimate
/// (flagged) for anything a provider accepted; priced by the catalog version in force; journalled before return.
/// Idempotent per request: the first call wins, later calls do nothing.
/// </summary>
public sealed class SettleStage(LedgerWriter ledger, TokenCounter tokens, TimeProvider time, Budgets.BudgetEngine budgets, GatewayTelemetry telemetry,
    BackgroundResponses background, ILogger<SettleStage> logger)
{
    /// <summary>Never throws past the ledger: whatever the estimate meets (an undecodable prompt, an absurd count), one row is written.</summary>
    public void Settle(ProxyContext context)
    {
        if (context.Settled) return;
        context.Settled = true;
        // A background response still running: its row (and the hold's release) comes when it ends.
        // The row as it would be written now, without usage, is what its row starts from when it ends.
        if (context.Facts is { Background: true })
        {
            try
            {
                if (BackgroundResponses.IsRunning(context) && background.Defer(context, Entry(context, (TokenUsage.Zero, false)))) return;
            }
            finally
            {
                background.StreamEnded(context);
            }
        }
        LedgerEntry entry;
        try
        {
            entry = Entry(context, MeasureUsage(context));
            _ = entry.CostNanos; // priced here, inside the guard: a count no long can price falls back below
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Usage estimate failed for event {EventId}; recording a byte-count estimate", context.EventId);
            entry = Entry(context, (ByteEstimate(context), true));
        }
        // Free the reservation and book the cost the ledger row records, so the counters equal the ledger.
        budgets.Book.Settle(context.Reservation, entry.CostNanos);
        if (context.BudgetLeftBeforeNanos is { } before && !context.Http.Response.HasStarted)
            context.Http.Response.Headers[AdmitStage.RemainingHeader] = AdmitStage.Usd(Math.Max(0, before - entry.CostNanos));
        context.SettledTokens = entry.Usage.Total;
        context.SettledCostNanos = entry.CostNanos;
        ledger.Record(entry);
        telemetry.Record(entry, context.Activity);
    }

    private LedgerEntry Entry(ProxyContext context, (TokenUsage Usage, bool Estimated) measured)
    {
        var route = context.ModelRoute;
        var cost = route?.Price is { } price ? CostCalculator.Compute(price, measured.Usage) : CostBreakdown.Zero;
        var inputs = context.SavingsInputs;
        var a = context.Attribution;
        return new LedgerEntry
        {
            Id = context.EventId,
            StartedAt = context.StartedAt,
            EndedAt = time.GetUtcNow(),
            Route = context.Route.Name,
            KeyId = context.Key?.Id,
            Person = context.Key?.Person,
            Team = context.Key?.Team,
            Project = a.Project,
            Feature = a.Feature,
            Ticket = a.Ticket,
            PullRequest = a.PullRequest,
            Tags = a.Tags,
            Provider = route?.Provider.Name,
            RequestedModel = context.Facts?.Model,
            ServedModel = route?.ServedModel,
            Usage = measured.Usage,
            Cost = cost,
            CatalogVersion = route?.CatalogVersion,
            Streamed = context.Facts?.Stream ?? false,
            Estimated = measured.Estimated,
            Status = context.Status,
            Outcome = context.Outcome,
            ErrorCode = context.ErrorCode,
            LatencyMs = context.ElapsedMs,
            TimeToFirstTokenMs = context.TimeToFirstTokenMs,
            ProviderRequestId = context.Meter?.ProviderRequestId,
            BudgetAction = context.BudgetAction,
            Justification = context.Justification,
            // A cache hit bills nothing (no tokens, cost 0) and saves what its answer cost when it was paid for.
            Savings = context.CacheHit is not null
                ? new SavingsBreakdown { CacheHit = TokenOps.Core.Pricing.NanoUsd.ToUsd(context.CacheSavedNanos) }
                : SavingsCalculator.Compute(measured.Usage, route?.Price, cost, inputs),
            Levers = context.CacheHit is not null ? SavingsLevers.CacheHit
                : SavingsCalculator.LeverNames(inputs, context.PromptCacheKeyAdded ? SavingsLevers.CacheBreakpoint : null),
            RouteScore = context.RouteScore,
            ParentId = context.ParentId,
            OutputControl = context.OutputControl,
            PriceEstimated = route?.EstimatedFrom is not null,
            SessionId = context.SessionId,
            PrefixHash = context.Fingerprint.PrefixHash,
            PrefixTokens = context.Fingerprint.PrefixTokens,
            PromptHash = context.Fingerprint.PromptHash,
            TurnSimHash = context.Fingerprint.TurnSimHash,
            MessageCount = context.Fingerprint.MessageCount,
            FinishReason = context.Meter?.FinishReason,
            ToolCallCount = context.Meter?.ToolCallCount ?? 0,
            ClientFamily = ClientFamilies.Of(context.Http.Request.Headers.UserAgent.ToString()),
            KeyKind = context.Key?.Kind,
            CacheHit = context.CacheHit,
            CacheSourceId = context.CacheSourceId,
        };
    }

    private (TokenUsage Usage, bool Estimated) MeasureUsage(ProxyContext context)
    {
        var meter = context.Meter;
        if (meter is null) return (TokenUsage.Zero, false);
        if (meter.Usage is { } reported)
            return (reported, false);
        // The provider accepted the request but its usage never reached us (client abort, broken stream, missing chunk).
        var model = context.ModelRoute!.ServedModel;
        // The provider cannot have generated more than the request allowed; a tokenizer estimate must not say otherwise
        // (it would also exceed the budget reservation, which is sized on that limit).
        var output = Math.Min(tokens.Count(model, meter.GeneratedText), context.Facts?.MaxTotalOutputTokens ?? long.MaxValue);
        if (meter.PartialUsage is { } partial)
            return (partial with { Output = Math.Max(partial.Output, output), Reasoning = Math.Min(partial.Reasoning, Math.Max(partial.Output, output)) }, true);
        var input = 0L;
        if (context.Route.JsonBody)
        {
            using var doc = JsonDocument.Parse(context.Body!);
            input = context.Route.CountPromptTokens(doc.RootElement, tokens, model);
        }
        return (meter.CompleteEstimate(new TokenUsage { UncachedInput = input, Output = output, Tier = meter.Tier }), true);
    }

    /// <summary>
    /// The estimate of last resort, from sizes alone (about four bytes a token): it cannot fail, and a provider that
    /// accepted the request is never recorded as free.
    /// </summary>
    private static TokenUsage ByteEstimate(ProxyContext context)
    {
        if (context.Meter is null) return TokenUsage.Zero;
        var input = ((context.Body?.Length ?? 0) + 3) / 4;
        var output = Math.Min(context.Meter.GeneratedBytes / 4, context.Facts?.MaxTotalOutputTokens ?? long.MaxValue);
        return context.Meter.CompleteEstimate(new TokenUsage { UncachedInput = input, Output = output });
    }
}