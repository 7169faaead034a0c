namespace TokenOps.Core.Pricing;

/// <summary>Storage form of money: integer nano-dollars (1e-9 USD). Conversions round half away from zero.</summary>
public static class NanoUsd
{
    private const decimal PerUsd = 1_000_000_000m;

    public static long FromUsd(decimal usd) => (long)decimal.Round(usd * PerUsd, 0, MidpointRounding.AwayFromZero);

    public static decimal ToUsd(long nanos) => nanos / PerUsd;
}
