using System.Globalization;
using TokenOps.Core.Ledger;
using TokenOps.Core.Pricing;
using TokenOps.Core.Savings;

namespace TokenOps.Core.Exports;

/// <summary>Ledger rows as flat CSV, one line per request, the same names as `tokenops ledger --format json`.</summary>
public static class LedgerCsv
{
    public static readonly IReadOnlyList<string> Columns =
    [
        "id", "started_at", "ended_at", "route", "key_id", "person", "team", "project", "feature", "ticket", "pull_request", "tags",
        "provider", "requested_model", "served_model", "uncached_input_tokens", "cache_read_tokens", "cache_write_5m_tokens",
        "cache_write_1h_tokens", "output_tokens", "reasoning_tokens", "service_tier", "cost_usd", "cost_nanos",
        "uncached_input_nanos", "cache_read_nanos", "cache_write_5m_nanos", "cache_write_1h_nanos", "output_nanos",
        "reasoning_nanos", "catalog_version", "streamed", "estimated", "status", "outcome", "error_code", "latency_ms", "ttft_ms",
        "provider_request_id", "source", "session_id", "budget_action", "justification",
        "web_search_calls", "web_fetch_calls", "file_search_calls", "tool_call_nanos",
        "as_asked_nanos_estimate", "saved_routed_nanos", "saved_degraded_nanos", "saved_capped_nanos", "saved_cache_breakpoint_nanos",
        "saved_cache_hit_nanos", "saved_batch_nanos", "savings_levers", "route_score", "parent_id", "output_control", "price_estimated",
        "audio_input_tokens", "audio_output_tokens", "image_input_tokens", "image_output_tokens", "images", "audio_ms", "characters",
        "audio_input_nanos", "audio_output_nanos", "image_input_nanos", "image_output_nanos", "image_nanos", "audio_second_nanos", "character_nanos", "batch_id",
        "cache_hit", "cache_source_id",
    ];

    public static string?[] Row(LedgerEntry e)
    {
        static string N(long v) => v.ToString(CultureInfo.InvariantCulture);
        static string T(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
        var u = e.Usage;
        var c = e.Cost;
        return
        [
            e.Id, T(e.StartedAt), T(e.EndedAt), e.Route, e.KeyId, e.Person, e.Team, e.Project, e.Feature, e.Ticket, e.PullRequest, e.Tags,
            e.Provider, e.RequestedModel, e.ServedModel, N(u.UncachedInput), N(u.CacheRead), N(u.CacheWrite5m),
            N(u.CacheWrite1h), N(u.Output), N(u.Reasoning), u.Tier.ToString().ToLowerInvariant(), FocusExport.Money(NanoUsd.ToUsd(e.CostNanos)), N(e.CostNanos),
            N(NanoUsd.FromUsd(c.UncachedInput)), N(NanoUsd.FromUsd(c.CacheRead)), N(NanoUsd.FromUsd(c.CacheWrite5m)),
            N(NanoUsd.FromUsd(c.CacheWrite1h)), N(NanoUsd.FromUsd(c.Output)), N(NanoUsd.FromUsd(c.Reasoning)),
            e.CatalogVersion, e.Streamed ? "true" : "false", e.Estimated ? "true" : "false", e.Status.ToString(CultureInfo.InvariantCulture),
            e.Outcome.Name(), e.ErrorCode, Math.Round(e.LatencyMs, 3).ToString(CultureInfo.InvariantCulture),
            e.TimeToFirstTokenMs is { } ttft ? Math.Round(ttft, 3).ToString(CultureInfo.InvariantCulture) : null,
            e.ProviderRequestId, e.Source, e.SessionId, e.BudgetAction, e.Justification,
            N(u.WebSearchCalls), N(u.WebFetchCalls), N(u.FileSearchCalls), N(NanoUsd.FromUsd(c.ToolCalls)),
            N(e.AsAskedNanos), N(e.Savings.NanosOf(SavingsLevers.Routed)), N(e.Savings.NanosOf(SavingsLevers.Degraded)),
            N(e.Savings.NanosOf(SavingsLevers.Capped)), N(e.Savings.NanosOf(SavingsLevers.CacheBreakpoint)),
            N(e.Savings.NanosOf(SavingsLevers.CacheHit)), N(e.Savings.NanosOf(SavingsLevers.Batch)), e.Levers,
            e.RouteScore is { } score ? Math.Round(score, 4).ToString(CultureInfo.InvariantCulture) : null, e.ParentId, e.OutputControl,
            e.PriceEstimated ? "true" : "false",
            N(u.AudioInput), N(u.AudioOutput), N(u.ImageInput), N(u.ImageOutput), N(u.Images), N(u.AudioMilliseconds), N(u.Characters),
            N(NanoUsd.FromUsd(c.AudioInput)), N(NanoUsd.FromUsd(c.AudioOutput)), N(NanoUsd.FromUsd(c.ImageInput)), N(NanoUsd.FromUsd(c.ImageOutput)),
            N(NanoUsd.FromUsd(c.Images)), N(NanoUsd.FromUsd(c.AudioSeconds)), N(NanoUsd.FromUsd(c.Characters)), e.BatchId,
            e.CacheHit, e.CacheSourceId,
        ];
    }
}
