using System.Text;
using System.Text.Json;
using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
using TokenOps.Gateway.Metering;
using TokenOps.Gateway.Telemetry;
using TokenOps.Storage.Journal;

namespace TokenOps.Gateway.Pipeline;

/// <summary>
/// Turns the context into exactly one ledger row: provider usage when it arrived, otherwise a tokenizer estimate
/// (flagged) for anything a provider accepted; priced by the catalog version in force; journalled before return.
/// Idempotent per request: the first call wins, later calls do nothing.
/// </summary>
public sealed class SettleStage(LedgerWriter ledger, TokenCounter tokens, TimeProvider time, Budgets.BudgetEngine budgets, GatewayTelemetry telemetry)
{
    public void Settle(ProxyContext context)
    {
        if (context.Settled) return;
        context.Settled = true;
        var (usage, estimated) = MeasureUsage(context);
        var route = context.ModelRoute;
        var cost = route?.Price is { } price ? CostCalculator.Compute(price, usage) : CostBreakdown.Zero;
        var a = context.Attribution;
        var entry = new LedgerEntry
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
            Usage = usage,
            Cost = cost,
            CatalogVersion = route?.CatalogVersion,
            Streamed = context.Facts?.Stream ?? false,
            Estimated = estimated,
            Status = context.Status,
            Outcome = context.Outcome,
            ErrorCode = context.ErrorCode,
            LatencyMs = context.ElapsedMs,
            TimeToFirstTokenMs = context.TimeToFirstTokenMs,
            ProviderRequestId = context.Meter?.ProviderRequestId,
            BudgetAction = context.BudgetAction,
            Justification = context.Justification,
        };
        // Free the reservation and book the cost the ledger row records, so the counters equal the ledger.
        budgets.Book.Settle(context.Reservation, entry.CostNanos);
        ledger.Record(entry);
        telemetry.Record(entry, context.Activity);
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
        var output = Math.Min(tokens.Count(model, meter.GeneratedText), context.Facts?.MaxOutputTokens ?? long.MaxValue);
        if (meter.PartialUsage is { } partial)
            return (partial with { Output = Math.Max(partial.Output, output), Reasoning = Math.Min(partial.Reasoning, Math.Max(partial.Output, output)) }, true);
        var prompt = new StringBuilder();
        using (var doc = JsonDocument.Parse(context.Body!)) context.Route.CollectPromptText(doc.RootElement, prompt);
        return (new TokenUsage { UncachedInput = tokens.Count(model, prompt.ToString()), Output = output, Tier = meter.Tier }, true);
    }
}
