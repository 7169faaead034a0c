using System.Globalization;
using System.Text;
using System.Text.Json;
using TokenOps.Core.Exports;
using TokenOps.Core.Forecasting;
using TokenOps.Gateway.Planning;

namespace TokenOps.Cli.Commands;

/// <summary>`tokenops forecast --growth …`: a <see cref="GrowthProjection"/> as a table, JSON or CSV, with the 1x/10x/100x comparison.</summary>
internal static class GrowthReport
{
    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    private static string Tier(PriceTier t) => t.ToString().ToLowerInvariant();

    private static string Assumptions(GrowthAssumptions a) => string.Create(Ci,
        $"volume x{a.Growth:0.###} over {a.HorizonMonths} months (compounded monthly); prices per year: frontier /{a.DeclinePerYear[PriceTier.Frontier]:0.###}, mid /{a.DeclinePerYear[PriceTier.Mid]:0.###}, small /{a.DeclinePerYear[PriceTier.Small]:0.###}");

    /// <summary>Month 1, a quarter, half and the whole horizon: the columns a table has room for.</summary>
    private static int[] Shown(int horizon) => new[] { 1, Math.Max(1, horizon / 4), Math.Max(1, horizon / 2), horizon }.Distinct().Order().ToArray();

    public static string Table(GrowthProjection p, IReadOnlyList<GrowthProjection> scenarios, IReadOnlyList<string> months, (DateTimeOffset From, DateTimeOffset To) window)
    {
        var a = p.Assumptions;
        var sb = new StringBuilder();
        sb.Append(Ci, $"Growth and LLMflation: today's monthly spend {p.BaselineUsd:0.00} USD (last {GrowthForecast.BaselineDays} days, {window.From:yyyy-MM-dd} to {window.To.AddDays(-1):yyyy-MM-dd}); {Assumptions(a)}\n");
        var shown = Shown(a.HorizonMonths);
        sb.Append(Ci, $"{"TEAM",-14} {"MODEL",-26} {"TIER",-8} {"TODAY/MO",10}");
        foreach (var m in shown) sb.Append(Ci, $" {months[m - 1],10}");
        sb.Append(Ci, $" {"TOTAL " + a.HorizonMonths + "M",12}\n");
        foreach (var l in p.Lines)
        {
            sb.Append(Ci, $"{Cut(l.Team.Length == 0 ? "(none)" : l.Team, 14),-14} {Cut(l.Model, 26),-26} {Tier(l.Tier),-8} {l.BaselineUsd,10:0.00}");
            foreach (var m in shown) sb.Append(Ci, $" {l.MonthlyUsd[m - 1],10:0.00}");
            sb.Append(Ci, $" {l.TotalUsd,12:0.00}\n");
        }
        sb.Append(Ci, $"{"ORGANISATION",-14} {"",-26} {"",-8} {p.BaselineUsd,10:0.00}");
        foreach (var m in shown) sb.Append(Ci, $" {p.MonthlyTotalUsd[m - 1],10:0.00}");
        sb.Append(Ci, $" {p.TotalUsd,12:0.00}\n");
        foreach (var s in scenarios)
            sb.Append(Ci, $"At {s.Assumptions.Growth:0.###}x volume: {s.MonthlyTotalUsd[^1]:0.00} USD in {months[^1]}, {s.TotalUsd:0.00} USD over {a.HorizonMonths} months\n");
        sb.Append("Tiers: by catalog output price (frontier from 10 USD per million tokens, mid from 1), or --model-tier. The frontier's price is held unless --tier-decline says otherwise: new frontier models reset the price clock.\n");
        return sb.ToString();
    }

    public static string Json(GrowthProjection p, IReadOnlyList<GrowthProjection> scenarios, IReadOnlyList<string> months, (DateTimeOffset From, DateTimeOffset To) window)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            var a = p.Assumptions;
            w.WriteStartObject();
            w.WriteString("baseline_from", window.From);
            w.WriteString("baseline_to", window.To);
            w.WriteNumber("baseline_monthly_usd", Math.Round(p.BaselineUsd, 9));
            w.WriteNumber("growth", a.Growth);
            w.WriteNumber("horizon_months", a.HorizonMonths);
            w.WritePropertyName("decline_per_year");
            w.WriteStartObject();
            foreach (var (tier, d) in a.DeclinePerYear) w.WriteNumber(Tier(tier), d);
            w.WriteEndObject();
            w.WriteStartArray("months");
            foreach (var m in months) w.WriteStringValue(m);
            w.WriteEndArray();
            w.WriteStartArray("lines");
            foreach (var l in p.Lines)
            {
                w.WriteStartObject();
                w.WriteString("team", l.Team);
                w.WriteString("model", l.Model);
                w.WriteString("tier", Tier(l.Tier));
                w.WriteNumber("baseline_monthly_usd", Math.Round(l.BaselineUsd, 9));
                w.WriteStartArray("monthly_usd");
                foreach (var v in l.MonthlyUsd) w.WriteNumberValue(Math.Round(v, 9));
                w.WriteEndArray();
                w.WriteNumber("total_usd", Math.Round(l.TotalUsd, 9));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("monthly_total_usd");
            foreach (var v in p.MonthlyTotalUsd) w.WriteNumberValue(Math.Round(v, 9));
            w.WriteEndArray();
            w.WriteNumber("total_usd", Math.Round(p.TotalUsd, 9));
            w.WriteStartArray("scenarios");
            foreach (var s in scenarios)
            {
                w.WriteStartObject();
                w.WriteNumber("growth", s.Assumptions.Growth);
                w.WriteNumber("final_month_usd", Math.Round(s.MonthlyTotalUsd[^1], 9));
                w.WriteNumber("total_usd", Math.Round(s.TotalUsd, 9));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    public static string Csv(GrowthProjection p, IReadOnlyList<string> months)
    {
        var a = p.Assumptions;
        var sb = new StringBuilder("team,model,tier,month,volume_factor,price_factor,cost_usd\n");
        foreach (var l in p.Lines)
            for (var m = 1; m <= a.HorizonMonths; m++)
                sb.Append(CsvWriter.Escape(l.Team)).Append(',').Append(CsvWriter.Escape(l.Model)).Append(',').Append(Tier(l.Tier))
                    .Append(Ci, $",{months[m - 1]},{a.VolumeFactor(m):0.######},{a.PriceFactor(l.Tier, m):0.######},{l.MonthlyUsd[m - 1]:0.000000000}\n");
        return sb.ToString();
    }

    private static string Cut(string s, int n) => s.Length <= n ? s : s[..(n - 1)] + "…";
}
