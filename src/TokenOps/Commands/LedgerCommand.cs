using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using TokenOps.Core.Ledger;
using TokenOps.Core.Pricing;
using TokenOps.Core.Savings;
using TokenOps.Storage;

namespace TokenOps.Cli.Commands;

internal static class LedgerCommand
{
    public static Command Create()
    {
        var data = CommonOptions.Data();
        var config = CommonOptions.Config();
        var since = new Option<string?>("--since") { Description = "Only rows from this time: ISO 8601 (2026-11-01, 2026-11-01T09:00Z) or a span back from now (30m, 24h, 7d)" };
        var format = new Option<string>("--format") { Description = "table or json (JSON lines)", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json");
        var command = new Command("ledger", "Print ledger rows, one per request") { data, config, since, format };
        command.SetAction(parse =>
        {
            var from = ParseSince(parse.GetValue(since), TimeProvider.System.GetUtcNow());
            using var storage = CommonOptions.OpenStorage(parse.GetValue(data), parse.GetValue(config));
            var rows = storage.Ledger.Read(from);
            if (parse.GetValue(format) == "json") WriteJson(rows);
            else WriteTable(rows);
            return 0;
        });
        return command;
    }

    /// <summary>A span such as 30m, 24h or 7d (at most 100 years).</summary>
    public static bool TryParseSpan(string value, out TimeSpan span)
    {
        span = default;
        var v = value.Trim();
        if (v.Length < 2 || !long.TryParse(v[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > 36_500) return false;
        TimeSpan? parsed = v[^1] switch { 'm' => TimeSpan.FromMinutes(n), 'h' => TimeSpan.FromHours(n), 'd' => TimeSpan.FromDays(n), _ => null };
        if (parsed is not { } s) return false;
        span = s;
        return true;
    }

    public static DateTimeOffset? ParseSince(string? value, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        var v = value.Trim();
        if (TryParseSpan(v, out var span)) return now - span;
        if (DateTimeOffset.TryParse(v, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)) return t;
        throw new CliException($"--since: '{value}' is neither an ISO 8601 time nor a span such as 30m, 24h or 7d", 2);
    }

    private static void WriteJson(IReadOnlyList<LedgerEntry> rows)
    {
        using var stdout = Console.OpenStandardOutput();
        foreach (var e in rows)
        {
            using (var w = new Utf8JsonWriter(stdout))
            {
                w.WriteStartObject();
                w.WriteString("id", e.Id);
                w.WriteString("started_at", e.StartedAt);
                w.WriteString("ended_at", e.EndedAt);
                w.WriteString("route", e.Route);
                Str(w, "key_id", e.KeyId); Str(w, "person", e.Person); Str(w, "team", e.Team); Str(w, "project", e.Project);
                Str(w, "feature", e.Feature); Str(w, "ticket", e.Ticket); Str(w, "pull_request", e.PullRequest); Str(w, "tags", e.Tags);
                Str(w, "provider", e.Provider); Str(w, "requested_model", e.RequestedModel); Str(w, "served_model", e.ServedModel);
                w.WriteNumber("uncached_input_tokens", e.Usage.UncachedInput);
                w.WriteNumber("cache_read_tokens", e.Usage.CacheRead);
                w.WriteNumber("cache_write_5m_tokens", e.Usage.CacheWrite5m);
                w.WriteNumber("cache_write_1h_tokens", e.Usage.CacheWrite1h);
                w.WriteNumber("output_tokens", e.Usage.Output);
                w.WriteNumber("reasoning_tokens", e.Usage.Reasoning);
                w.WriteString("service_tier", e.Usage.Tier.ToString().ToLowerInvariant());
                w.WriteNumber("cost_nanos", e.CostNanos);
                w.WriteNumber("cost_usd", NanoUsd.ToUsd(e.CostNanos));
                w.WriteNumber("uncached_input_nanos", NanoUsd.FromUsd(e.Cost.UncachedInput));
                w.WriteNumber("cache_read_nanos", NanoUsd.FromUsd(e.Cost.CacheRead));
                w.WriteNumber("cache_write_5m_nanos", NanoUsd.FromUsd(e.Cost.CacheWrite5m));
                w.WriteNumber("cache_write_1h_nanos", NanoUsd.FromUsd(e.Cost.CacheWrite1h));
                w.WriteNumber("output_nanos", NanoUsd.FromUsd(e.Cost.Output));
                w.WriteNumber("reasoning_nanos", NanoUsd.FromUsd(e.Cost.Reasoning));
                w.WriteNumber("web_search_calls", e.Usage.WebSearchCalls);
                w.WriteNumber("web_fetch_calls", e.Usage.WebFetchCalls);
                w.WriteNumber("file_search_calls", e.Usage.FileSearchCalls);
                w.WriteNumber("tool_call_nanos", NanoUsd.FromUsd(e.Cost.ToolCalls));
                Str(w, "catalog_version", e.CatalogVersion);
                w.WriteBoolean("streamed", e.Streamed);
                w.WriteBoolean("estimated", e.Estimated);
                w.WriteNumber("status", e.Status);
                w.WriteString("outcome", e.Outcome.Name());
                Str(w, "error_code", e.ErrorCode);
                w.WriteNumber("latency_ms", Math.Round(e.LatencyMs, 3));
                if (e.TimeToFirstTokenMs is { } ttft) w.WriteNumber("ttft_ms", Math.Round(ttft, 3)); else w.WriteNull("ttft_ms");
                Str(w, "provider_request_id", e.ProviderRequestId);
                w.WriteString("source", e.Source);
                Str(w, "session_id", e.SessionId);
                Str(w, "budget_action", e.BudgetAction);
                Str(w, "justification", e.Justification);
                // As asked: an estimate (the same tokens at the requested model's prices, without TokenOps' changes).
                w.WriteNumber("as_asked_nanos_estimate", e.AsAskedNanos);
                foreach (var lever in SavingsLevers.All) w.WriteNumber("saved_" + lever.Replace('-', '_') + "_nanos", e.Savings.NanosOf(lever));
                Str(w, "savings_levers", e.Levers);
                if (e.RouteScore is { } score) w.WriteNumber("route_score", Math.Round(score, 4)); else w.WriteNull("route_score");
                Str(w, "parent_id", e.ParentId);
                Str(w, "output_control", e.OutputControl);
                w.WriteBoolean("price_estimated", e.PriceEstimated);
                w.WriteNumber("audio_input_tokens", e.Usage.AudioInput);
                w.WriteNumber("audio_output_tokens", e.Usage.AudioOutput);
                w.WriteNumber("image_input_tokens", e.Usage.ImageInput);
                w.WriteNumber("image_output_tokens", e.Usage.ImageOutput);
                w.WriteNumber("images", e.Usage.Images);
                w.WriteNumber("audio_ms", e.Usage.AudioMilliseconds);
                w.WriteNumber("characters", e.Usage.Characters);
                w.WriteNumber("audio_input_nanos", NanoUsd.FromUsd(e.Cost.AudioInput));
                w.WriteNumber("audio_output_nanos", NanoUsd.FromUsd(e.Cost.AudioOutput));
                w.WriteNumber("image_input_nanos", NanoUsd.FromUsd(e.Cost.ImageInput));
                w.WriteNumber("image_output_nanos", NanoUsd.FromUsd(e.Cost.ImageOutput));
                w.WriteNumber("image_nanos", NanoUsd.FromUsd(e.Cost.Images));
                w.WriteNumber("audio_second_nanos", NanoUsd.FromUsd(e.Cost.AudioSeconds));
                w.WriteNumber("character_nanos", NanoUsd.FromUsd(e.Cost.Characters));
                Str(w, "batch_id", e.BatchId);
                Str(w, "cache_hit", e.CacheHit);
                Str(w, "cache_source_id", e.CacheSourceId);
                w.WriteEndObject();
            }
            stdout.WriteByte((byte)'\n');
        }
    }

    private static void Str(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null) w.WriteNull(name); else w.WriteString(name, value);
    }

    /// <summary>Columns as wide as their longest value (a long model or route name no longer pushes the rest of its row out of line).</summary>
    private static void WriteTable(IReadOnlyList<LedgerEntry> rows)
    {
        (string Header, bool Right, Func<LedgerEntry, string> Value)[] columns =
        [
            ("STARTED (UTC)", false, e => e.StartedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)),
            ("PERSON", false, e => e.Person ?? "-"),
            ("TEAM", false, e => e.Team ?? "-"),
            ("ROUTE", false, e => e.Route),
            ("MODEL", false, e => e.ServedModel ?? e.RequestedModel ?? "-"),
            ("IN", true, e => e.Usage.TotalInput.ToString(CultureInfo.InvariantCulture)),
            ("OUT", true, e => e.Usage.Output.ToString(CultureInfo.InvariantCulture)),
            ("COST USD", true, e => NanoUsd.ToUsd(e.CostNanos).ToString("0.000000", CultureInfo.InvariantCulture)),
            ("STATUS", true, e => e.Status.ToString(CultureInfo.InvariantCulture)),
        ];
        var cells = rows.Select(e => columns.Select(c => c.Value(e)).ToArray()).ToList();
        var widths = columns.Select((c, i) => cells.Aggregate(c.Header.Length, (w, row) => Math.Max(w, row[i].Length))).ToArray();
        string Line(IReadOnlyList<string> values) =>
            string.Join(' ', values.Select((v, i) => columns[i].Right ? v.PadLeft(widths[i]) : v.PadRight(widths[i])));
        Console.WriteLine(Line(columns.Select(c => c.Header).ToArray()) + " OUTCOME");
        for (var r = 0; r < rows.Count; r++)
        {
            var e = rows[r];
            Console.WriteLine(Line(cells[r]) + " " + e.Outcome.Name() + (e.Estimated ? " (estimated)" : "") + (e.PriceEstimated ? " (price estimated)" : ""));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{rows.Count} rows, total {NanoUsd.ToUsd(rows.Sum(r => r.CostNanos)):0.000000} USD"));
    }
}
