using System.Globalization;

namespace TokenOps.Core.Outcomes;

/// <summary>
/// How an outcome turns into dollars. A stated value (value_usd) is used as is; otherwise the value is time saved:
/// hours saved for the outcome's type × the hourly rate of its person, where the rate is, in order, the rate of the
/// person's tier (TierByPerson → HourlyRateByTier), the rate of its team (HourlyRateByTeam), or the default rate.
/// A stated value replaces the time-saved estimate for that outcome (never both, so nothing is counted twice).
/// </summary>
public sealed record OutcomeValuation
{
    public IReadOnlyDictionary<OutcomeType, decimal> HoursSavedByType { get; init; } = new Dictionary<OutcomeType, decimal>();
    public decimal DefaultHourlyRateUsd { get; init; }
    public IReadOnlyDictionary<string, decimal> HourlyRateByTeam { get; init; } = new Dictionary<string, decimal>(StringComparer.OrdinalIgnoreCase);
    public IReadOnlyDictionary<string, decimal> HourlyRateByTier { get; init; } = new Dictionary<string, decimal>(StringComparer.OrdinalIgnoreCase);
    public IReadOnlyDictionary<string, string> TierByPerson { get; init; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>AI costs beyond the ledger (licences, integration, oversight), per month; prorated over a period for ROI.</summary>
    public decimal OtherCostPerMonthUsd { get; init; }

    public static readonly OutcomeValuation None = new();

    /// <summary>The other costs prorated over a period: per month × days / (365.25 / 12).</summary>
    public decimal OtherCost(ReportPeriod period) =>
        decimal.Round(OtherCostPerMonthUsd * period.Days / (365.25m / 12m), 2, MidpointRounding.AwayFromZero);

    public (decimal Rate, string Basis) HourlyRate(Outcome o)
    {
        if (o.Person is { } person && TierByPerson.TryGetValue(person, out var tier) && HourlyRateByTier.TryGetValue(tier, out var tierRate))
            return (tierRate, $"tier {tier}");
        if (o.Team is { } team && HourlyRateByTeam.TryGetValue(team, out var teamRate)) return (teamRate, $"team {team}");
        return (DefaultHourlyRateUsd, "default");
    }

    public OutcomeValue Value(Outcome o)
    {
        if (o.ValueUsd is { } stated) return new OutcomeValue(stated, stated, 0, 0, "stated value");
        var hours = HoursSavedByType.TryGetValue(o.Type, out var h) ? h : 0m;
        var (rate, basis) = HourlyRate(o);
        return new OutcomeValue(hours * rate, 0, hours, rate,
            string.Create(CultureInfo.InvariantCulture, $"{hours:0.##} h saved × {rate:0.##} USD/h ({basis})"));
    }
}

/// <summary>One outcome's value: <see cref="Usd"/> = <see cref="StatedUsd"/> or <see cref="HoursSaved"/> × <see cref="HourlyRate"/>.</summary>
public readonly record struct OutcomeValue(decimal Usd, decimal StatedUsd, decimal HoursSaved, decimal HourlyRate, string Basis);

/// <summary>ROI with its inputs and the formula filled in, so the figure is never shown without how it was reached.</summary>
public sealed record RoiFigure(
    int Outcomes,
    decimal ValueUsd,
    decimal StatedValueUsd,
    decimal TimeSavedValueUsd,
    decimal HoursSaved,
    decimal CostUsd,
    decimal AiSpendUsd,
    decimal OtherCostUsd,
    decimal? Roi,
    string Formula)
{
    /// <summary>
    /// ROI = (value generated − total AI cost) / total AI cost; null when the cost is zero (undefined).
    /// Total AI cost = the ledger spend plus <paramref name="otherCostUsd"/> (licences, integration, oversight).
    /// </summary>
    public static RoiFigure Compute(IEnumerable<Outcome> outcomes, decimal aiSpendUsd, OutcomeValuation valuation, decimal otherCostUsd = 0)
    {
        int count = 0;
        decimal stated = 0, timeValue = 0, hours = 0;
        foreach (var o in outcomes)
        {
            var v = valuation.Value(o);
            count++;
            stated += v.StatedUsd;
            hours += v.HoursSaved;
            if (o.ValueUsd is null) timeValue += v.Usd;
        }
        var value = stated + timeValue;
        var cost = aiSpendUsd + otherCostUsd;
        decimal? roi = cost == 0 ? null : decimal.Round((value - cost) / cost, 4, MidpointRounding.AwayFromZero);
        var costText = otherCostUsd == 0
            ? string.Create(CultureInfo.InvariantCulture, $"cost {cost:0.00####} USD = all AI spend in the period, linked or not")
            : string.Create(CultureInfo.InvariantCulture, $"cost {cost:0.00####} USD = AI spend {aiSpendUsd:0.00####} (all of the period, linked or not) + other AI costs {otherCostUsd:0.00} (per month, prorated)");
        var inputs = string.Create(CultureInfo.InvariantCulture,
            $"value {value:0.00} USD = stated values {stated:0.00} + time saved {timeValue:0.00} ({hours:0.##} h at hourly rates by tier, team or default) over {count} outcomes; {costText}");
        var formula = roi is { } r
            ? string.Create(CultureInfo.InvariantCulture, $"ROI = (value − cost) / cost = ({value:0.00} − {cost:0.00####}) / {cost:0.00####} = {r:0.####}; {inputs}")
            : $"ROI undefined (no AI cost in the period); {inputs}";
        return new RoiFigure(count, value, stated, timeValue, hours, cost, aiSpendUsd, otherCostUsd, roi, formula);
    }
}
