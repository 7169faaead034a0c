using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using TokenOps.Core.Exports;
using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Core.Outcomes;
using TokenOps.Core.Pricing;
using Xunit;

namespace TokenOps.Core.Tests.Exports;

/// <summary>The FOCUS mapping against the specification's own column list (data/focus, CC-BY-4.0).</summary>
public sealed class FocusExportTests
{
    public sealed record SpecColumn(string Id, string Level, bool Nullable, string DataType);

    public static readonly IReadOnlyList<SpecColumn> Spec = LoadSpec();

    private static List<SpecColumn> LoadSpec()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "focus_columns.json")));
        return doc.RootElement.GetProperty("v1.2").EnumerateArray().Select(c => new SpecColumn(
            c.GetProperty("column_id").GetString()!, c.GetProperty("feature_level").GetString()!,
            c.GetProperty("allows_nulls").GetString() == "True", c.GetProperty("data_type").GetString()!)).ToList();
    }

    internal static LedgerEntry Entry(Action<LedgerEntryBuilder>? change = null)
    {
        var b = new LedgerEntryBuilder();
        change?.Invoke(b);
        return b.Build();
    }

    internal sealed class LedgerEntryBuilder
    {
        public DateTimeOffset Start = new(2026, 11, 20, 9, 33, 0, 612, TimeSpan.Zero);
        public TokenUsage Usage = new() { UncachedInput = 1000, CacheRead = 2048, CacheWrite5m = 300, CacheWrite1h = 50, Output = 500, Reasoning = 200 };
        public CostBreakdown Cost = new()
        {
            UncachedInput = 0.003m, CacheRead = 0.0006144m, CacheWrite5m = 0.001125m, CacheWrite1h = 0.0003m, Output = 0.0045m, Reasoning = 0.003m,
        };
        public long? CostNanos;
        public string? Team = "core", Project = "checkout, EU", Tags = "note=say \"hi\",urgent=1";
        public LedgerOutcome Outcome = LedgerOutcome.Ok;

        public LedgerEntry Build()
        {
            var e = new LedgerEntry
            {
                Id = "evt_1", StartedAt = Start, EndedAt = Start.AddSeconds(2), Route = "anthropic.messages", KeyId = "key_1", Person = "ada",
                Team = Team, Project = Project, Feature = "assistant", Ticket = "PAY-1", PullRequest = "42", Tags = Tags,
                Provider = "anthropic", RequestedModel = "claude-sonnet-4-5", ServedModel = "claude-sonnet-4-5", Usage = Usage, Cost = Cost,
                CatalogVersion = "sha256:abc", Status = 200, Outcome = Outcome,
            };
            return CostNanos is { } n ? e with { CostNanos = n } : e;
        }
    }

    private static string? Cell(string?[] row, string column) => row[FocusExport.ColumnIndex(column)];

    [Fact]
    public void Columns_AreExactlyTheFocus12Columns_InSpecOrder_ThenTheXColumns()
    {
        Assert.Equal(57, Spec.Count);
        Assert.Equal(Spec.Select(c => c.Id), FocusExport.Columns.Take(FocusExport.FocusColumnCount));
        var custom = FocusExport.Columns.Skip(FocusExport.FocusColumnCount).ToList();
        Assert.All(custom, c => Assert.StartsWith("x_", c));
        foreach (var required in new[] { "x_person", "x_team", "x_project", "x_feature", "x_outcome" }) Assert.Contains(required, custom);
        Assert.Equal(FocusExport.Columns.Count, FocusExport.Columns.Distinct().Count());
    }

    [Fact]
    public void EveryCell_HasTheSpecsType_AndNonNullableMandatoryColumnsAreFilled()
    {
        var rows = FocusExport.Rows(Entry()).ToList();
        Assert.Equal(6, rows.Count);
        var iso = new Regex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$");
        foreach (var row in rows)
        {
            Assert.Equal(FocusExport.Columns.Count, row.Length);
            foreach (var column in Spec)
            {
                var value = Cell(row, column.Id);
                if (column.Level == "Mandatory" && !column.Nullable) Assert.False(string.IsNullOrEmpty(value), $"{column.Id} is mandatory");
                if (string.IsNullOrEmpty(value)) continue;
                switch (column.DataType)
                {
                    case "Decimal":
                        Assert.DoesNotContain("E", value, StringComparison.OrdinalIgnoreCase);
                        Assert.True(decimal.TryParse(value, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _), $"{column.Id}={value}");
                        break;
                    case "Date/Time":
                        Assert.Matches(iso, value);
                        break;
                    case "JSON":
                        using (var doc = JsonDocument.Parse(value)) Assert.Equal(JsonValueKind.Object, doc.RootElement.ValueKind);
                        break;
                }
            }
            Assert.Equal("USD", Cell(row, "BillingCurrency"));
            Assert.Equal("Usage", Cell(row, "ChargeCategory"));
            Assert.Null(Cell(row, "ChargeClass"));
            Assert.Equal("Usage-Based", Cell(row, "ChargeFrequency"));
            Assert.Equal("AI and Machine Learning", Cell(row, "ServiceCategory"));
            Assert.Equal("Generative AI", Cell(row, "ServiceSubcategory"));
            Assert.Equal("Tokens", Cell(row, "ConsumedUnit"));
            Assert.Equal("Tokens", Cell(row, "PricingUnit"));
            Assert.Equal(Cell(row, "ConsumedQuantity"), Cell(row, "PricingQuantity"));
            Assert.Equal("2026-11-20T09:00:00Z", Cell(row, "ChargePeriodStart"));
            Assert.Equal("2026-11-20T10:00:00Z", Cell(row, "ChargePeriodEnd"));
            Assert.Equal("2026-11-01T00:00:00Z", Cell(row, "BillingPeriodStart"));
            Assert.Equal("2026-12-01T00:00:00Z", Cell(row, "BillingPeriodEnd"));
            foreach (var cost in new[] { "EffectiveCost", "ListCost", "ContractedCost" }) Assert.Equal(Cell(row, "BilledCost"), Cell(row, cost));
            // ListCost = ListUnitPrice x PricingQuantity (to the nano-dollar).
            var listCost = decimal.Parse(Cell(row, "ListCost")!, CultureInfo.InvariantCulture);
            var unit = decimal.Parse(Cell(row, "ListUnitPrice")!, CultureInfo.InvariantCulture);
            var quantity = decimal.Parse(Cell(row, "PricingQuantity")!, CultureInfo.InvariantCulture);
            Assert.Equal(listCost, decimal.Round(unit * quantity, 9));
            Assert.Equal("ada", Cell(row, "x_person"));
            Assert.Equal("core", Cell(row, "x_team"));
            Assert.Equal("checkout, EU", Cell(row, "x_project"));
            Assert.Equal("assistant", Cell(row, "x_feature"));
            Assert.Null(Cell(row, "x_outcome"));
            Assert.Equal("PAY-1", Cell(row, "x_ticket"));
            Assert.Equal($"claude-sonnet-4-5:{Cell(row, "x_token_class")}", Cell(row, "SkuId"));
        }
        Assert.Equal(["uncached_input", "cache_read", "cache_write_5m", "cache_write_1h", "output", "reasoning"], rows.Select(r => Cell(r, "x_token_class")));
    }

    [Fact]
    public void Rows_SayWhenThePriceIsAFamilyEstimate()
    {
        Assert.All(FocusExport.Rows(Entry()), r => Assert.Equal("false", Cell(r, "x_price_estimated")));
        Assert.All(FocusExport.Rows(Entry() with { PriceEstimated = true }), r => Assert.Equal("true", Cell(r, "x_price_estimated")));
        Assert.All(FocusExport.Rows(Entry() with { BatchId = "batch_tok1" }), r => Assert.Equal("batch_tok1", Cell(r, "x_batch_id")));
    }

    [Fact]
    public void Rows_CarryTheLinkedOutcome_OnEveryTokenClassRow_AndNothingWhenUnlinked()
    {
        var pr = new Outcome { Source = "github-pr", SourceId = "acme/shop#42", Type = OutcomeType.Pr, CompletedAt = new DateTimeOffset(2026, 11, 21, 0, 0, 0, TimeSpan.Zero) };
        var linked = FocusExport.Rows(Entry(), new LinkResult(pr, LinkRule.Branch)).ToList();
        Assert.Equal(6, linked.Count);
        Assert.All(linked, r => Assert.Equal(("github-pr:acme/shop#42", "pr", "branch"), (Cell(r, "x_outcome"), Cell(r, "x_outcome_type"), Cell(r, "x_outcome_rule"))));
        foreach (var unlinked in new[] { FocusExport.Rows(Entry(), LinkResult.None), FocusExport.Rows(Entry()) })
            Assert.All(unlinked, r => Assert.Equal((null, null, null), (Cell(r, "x_outcome"), Cell(r, "x_outcome_type"), Cell(r, "x_outcome_rule"))));
    }

    [Fact]
    public void Rows_SplitTheRequestByTokenClass_AndAddUpToTheLedgerRow()
    {
        var e = Entry();
        var rows = FocusExport.Rows(e).ToList();
        Assert.Equal(e.Usage.Total, rows.Sum(r => long.Parse(Cell(r, "ConsumedQuantity")!, CultureInfo.InvariantCulture)));
        Assert.Equal(NanoUsd.ToUsd(e.CostNanos), rows.Sum(r => decimal.Parse(Cell(r, "BilledCost")!, CultureInfo.InvariantCulture)));
        var output = Assert.Single(rows, r => Cell(r, "x_token_class") == "output");
        Assert.Equal("300", Cell(output, "ConsumedQuantity")); // 500 output tokens of which 200 reasoning, priced apart
        Assert.Equal("0.0045", Cell(output, "BilledCost"));
        Assert.Equal("0.000015", Cell(output, "ListUnitPrice"));
    }

    [Fact]
    public void NanoRemainders_GoToTheCostliestClass_SoTheTotalIsTheLedgers()
    {
        // Each class rounds to 0 or 1 nano-dollar on its own; the total rounds once, as the ledger does.
        var e = Entry(b =>
        {
            b.Usage = new TokenUsage { UncachedInput = 3, CacheRead = 3, Output = 3 };
            b.Cost = new CostBreakdown { UncachedInput = 0.0000000004m, CacheRead = 0.0000000004m, Output = 0.00000000045m };
        });
        Assert.Equal(1, e.CostNanos);
        Assert.Equal(0, NanoUsd.FromUsd(e.Cost.UncachedInput) + NanoUsd.FromUsd(e.Cost.CacheRead) + NanoUsd.FromUsd(e.Cost.Output));
        var rows = FocusExport.Rows(e).ToList();
        Assert.Equal(3, rows.Count);
        Assert.Equal(0.000000001m, rows.Sum(r => decimal.Parse(Cell(r, "BilledCost")!, CultureInfo.InvariantCulture)));
        Assert.Equal("0.000000001", Cell(rows.Single(r => Cell(r, "x_token_class") == "output"), "BilledCost"));

        var up = Entry(b =>
        {
            b.Usage = new TokenUsage { UncachedInput = 3, Output = 3 };
            b.Cost = new CostBreakdown { UncachedInput = 0.0000000014m, Output = 0.0000000024m };
        });
        Assert.Equal(4, up.CostNanos);
        Assert.Equal(0.000000004m, FocusExport.Rows(up).Sum(r => decimal.Parse(Cell(r, "BilledCost")!, CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void AudioImageAndUnitCosts_AreTheirOwnRows_InTheirOwnUnits_AndAddUpToTheLedgerRow()
    {
        // gpt-4o-audio-preview (input 2.5e-6, audio in 4e-5, output 1e-5, audio out 8e-5) priced from the snapshot.
        var audio = Entry(b =>
        {
            b.Usage = new TokenUsage { UncachedInput = 1000, AudioInput = 400, Output = 500, AudioOutput = 300 };
            b.Cost = CostCalculator.Compute(Pricing.TestCatalog.Get("gpt-4o-audio-preview"), b.Usage);
        });
        var rows = FocusExport.Rows(audio).ToDictionary(r => Cell(r, "x_token_class")!);
        Assert.Equal(["uncached_input", "output", "audio_input", "audio_output"], rows.Keys);
        Assert.Equal(("600", "0.0015"), (Cell(rows["uncached_input"], "ConsumedQuantity"), Cell(rows["uncached_input"], "BilledCost")));
        Assert.Equal(("400", "0.016", "0.00004"), (Cell(rows["audio_input"], "ConsumedQuantity"), Cell(rows["audio_input"], "BilledCost"), Cell(rows["audio_input"], "ListUnitPrice")));
        Assert.Equal(("200", "0.002"), (Cell(rows["output"], "ConsumedQuantity"), Cell(rows["output"], "BilledCost")));
        Assert.Equal(("300", "0.024"), (Cell(rows["audio_output"], "ConsumedQuantity"), Cell(rows["audio_output"], "BilledCost")));
        Assert.Equal(0.0435m, rows.Values.Sum(r => decimal.Parse(Cell(r, "BilledCost")!, CultureInfo.InvariantCulture)));

        // whisper-1 at 0.0001 per second: 12.5 s; dall-e-3 at 0.04 per image; tts-1 at 1.5e-5 per character.
        var whisper = Assert.Single(FocusExport.Rows(Entry(b => { b.Usage = new TokenUsage { AudioMilliseconds = 12_500 }; b.Cost = new CostBreakdown { AudioSeconds = 0.00125m }; })));
        Assert.Equal(("audio_seconds", "12.5", "Seconds", "0.00125", "0.0001"),
            (Cell(whisper, "x_token_class"), Cell(whisper, "ConsumedQuantity"), Cell(whisper, "ConsumedUnit"), Cell(whisper, "BilledCost"), Cell(whisper, "ListUnitPrice")));
        var images = Assert.Single(FocusExport.Rows(Entry(b => { b.Usage = new TokenUsage { Images = 2 }; b.Cost = new CostBreakdown { Images = 0.08m }; })));
        Assert.Equal(("images", "2", "Images", "0.08", "0.04"),
            (Cell(images, "x_token_class"), Cell(images, "ConsumedQuantity"), Cell(images, "PricingUnit"), Cell(images, "BilledCost"), Cell(images, "ListUnitPrice")));
        var speech = Assert.Single(FocusExport.Rows(Entry(b => { b.Usage = new TokenUsage { Characters = 1000 }; b.Cost = new CostBreakdown { Characters = 0.015m }; })));
        Assert.Equal(("characters", "1000", "Characters", "0.015"), (Cell(speech, "x_token_class"), Cell(speech, "ConsumedQuantity"), Cell(speech, "ConsumedUnit"), Cell(speech, "BilledCost")));
    }

    [Fact]
    public void RowsWithoutTokensOrCost_AreNotExported_ButACostWithoutTokenDetailIs()
    {
        Assert.Empty(FocusExport.Rows(Entry(b => { b.Usage = TokenUsage.Zero; b.Cost = CostBreakdown.Zero; b.Outcome = LedgerOutcome.Refused; })));
        var imported = Entry(b => { b.Usage = TokenUsage.Zero; b.Cost = CostBreakdown.Zero; b.CostNanos = 1_250_000; });
        var row = Assert.Single(FocusExport.Rows(imported));
        Assert.Equal("0.00125", Cell(row, "BilledCost"));
        Assert.Equal("total", Cell(row, "x_token_class"));
    }

    [Fact]
    public void Tags_AreAJsonObject_WithPrefixedTokenOpsKeys_AndSurviveCsvQuoting()
    {
        var e = Entry(b => b.Tags = "env=prod,note=say \"hi\"");
        using (var doc = JsonDocument.Parse(FocusExport.Tags(e)!))
        {
            var tags = doc.RootElement;
            Assert.Equal("core", tags.GetProperty("tokenops/team").GetString());
            Assert.Equal("checkout, EU", tags.GetProperty("tokenops/project").GetString());
            Assert.Equal("prod", tags.GetProperty("env").GetString());
            Assert.Equal("say \"hi\"", tags.GetProperty("note").GetString());
        }
        Assert.Null(FocusExport.Tags(Entry(b => { b.Team = null; b.Project = null; b.Tags = null; }) with { Feature = null }));

        var rows = FocusExport.Rows(e).ToList();
        var text = new StringWriter();
        var csv = new CsvWriter(text);
        csv.WriteRow(FocusExport.Columns);
        foreach (var r in rows) csv.WriteRow(r);
        var back = CsvWriter.Read(new StringReader(text.ToString())).ToList();
        Assert.Equal(FocusExport.Columns, back[0]);
        Assert.Equal(rows.Count, back.Count - 1);
        for (var i = 0; i < rows.Count; i++) Assert.Equal(rows[i].Select(v => v ?? ""), back[i + 1]);
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("two\nlines", "\"two\nlines\"")]
    [InlineData("", "")]
    [InlineData(null, "")]
    public void Csv_QuotesOnlyWhatRfc4180Requires(string? field, string expected) => Assert.Equal(expected, CsvWriter.Escape(field));

    [Theory]
    [InlineData("0.00000015", "0.00000015")]
    [InlineData("1.50", "1.5")]
    [InlineData("0", "0")]
    [InlineData("12345.000000001", "12345.000000001")]
    public void Money_IsInvariantDecimal_WithoutExponentOrTrailingZeros(string value, string expected) =>
        Assert.Equal(expected, FocusExport.Money(decimal.Parse(value, CultureInfo.InvariantCulture)));
}
