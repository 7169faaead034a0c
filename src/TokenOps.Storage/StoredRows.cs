using System.Data.Common;
using System.Globalization;
using TokenOps.Core.Identity;
using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Core.Outcomes;
using TokenOps.Core.Pricing;
using TokenOps.Core.Savings;

namespace TokenOps.Storage;

/// <summary>
/// What every backend stores the same way, so that a row reads back identically from each: times as fixed-width ISO
/// 8601 UTC text (text order is time order, to the 100 ns tick), tiers by name, and the rows read in their shared column
/// order (ledger, outcomes, the spend rows outcome linking reads).
/// </summary>
public static class StoredRows
{
    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// <see cref="ParseTime"/> for the fixed-width text every backend stores ("yyyy-MM-ddTHH:mm:ss.fffffffZ"), read digit
    /// by digit (bulk readers parse millions); anything else goes to the general parser.
    /// </summary>
    public static DateTimeOffset ParseTimeFast(string s) => ParseTimeFast(s.AsSpan());

    /// <inheritdoc cref="ParseTimeFast(string)"/>
    public static DateTimeOffset ParseTimeFast(ReadOnlySpan<char> s)
    {
        if (s.Length != 28 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.' || s[27] != 'Z') return ParseTime(s.ToString());
        static int D(ReadOnlySpan<char> s, int at, int count)
        {
            var v = 0;
            for (var i = at; i < at + count; i++)
            {
                var c = s[i] - '0';
                if ((uint)c > 9) return -1;
                v = v * 10 + c;
            }
            return v;
        }
        int year = D(s, 0, 4), month = D(s, 5, 2), day = D(s, 8, 2), hour = D(s, 11, 2), minute = D(s, 14, 2), second = D(s, 17, 2), fraction = D(s, 20, 7);
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour is < 0 or > 23 || minute is < 0 or > 59
            || second is < 0 or > 59 || fraction < 0)
            return ParseTime(s.ToString());
        var ticks = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).Ticks + fraction;
        return new DateTimeOffset(ticks, TimeSpan.Zero);
    }

    /// <summary>A stored tier name, without Enum.Parse for the common ones.</summary>
    public static ServiceTier ParseTier(string s) => s switch
    {
        "Standard" => ServiceTier.Standard,
        "Batch" => ServiceTier.Batch,
        "Priority" => ServiceTier.Priority,
        "Flex" => ServiceTier.Flex,
        _ => Enum.Parse<ServiceTier>(s),
    };

    /// <summary>A stored outcome name, without Enum.Parse for the common one.</summary>
    public static LedgerOutcome ParseOutcome(string s) => s == "Ok" ? LedgerOutcome.Ok : Enum.Parse<LedgerOutcome>(s);

    public static DateTimeOffset ParseTime(string s) =>
        DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    // Tier names cached once: Enum.ToString allocates on every call.
    private static readonly Dictionary<ServiceTier, string> TierNames = Enum.GetValues<ServiceTier>().ToDictionary(t => t, t => t.ToString());

    public static string TierName(ServiceTier t) => TierNames.TryGetValue(t, out var n) ? n : t.ToString();

    /// <summary>One ledger row from a reader positioned on it, columns in the shared order (SQLite stores flags as 0/1, PostgreSQL as booleans).</summary>
    public static LedgerEntry Ledger(DbDataReader r)
    {
        string? S(int i) => r.IsDBNull(i) ? null : r.GetString(i);
        DateTimeOffset T(int i) => ParseTime(r.GetString(i));
        bool Flag(int i) => r.GetFieldType(i) == typeof(bool) ? r.GetBoolean(i) : r.GetInt64(i) != 0;
        return new LedgerEntry
        {
            Id = r.GetString(0), StartedAt = T(1), EndedAt = T(2), Route = r.GetString(3), KeyId = S(4), Person = S(5),
            Team = S(6), Project = S(7), Feature = S(8), Ticket = S(9), PullRequest = S(10), Tags = S(11), Provider = S(12),
            RequestedModel = S(13), ServedModel = S(14),
            Usage = new TokenUsage
            {
                UncachedInput = r.GetInt64(15), CacheRead = r.GetInt64(16), CacheWrite5m = r.GetInt64(17),
                CacheWrite1h = r.GetInt64(18), Output = r.GetInt64(19), Reasoning = r.GetInt64(20),
                Tier = Enum.Parse<ServiceTier>(r.GetString(21)),
                WebSearchCalls = r.GetInt64(42), WebFetchCalls = r.GetInt64(43), FileSearchCalls = r.GetInt64(44),
                AudioInput = r.GetInt64(57), AudioOutput = r.GetInt64(58), ImageInput = r.GetInt64(59), ImageOutput = r.GetInt64(60),
                Images = r.GetInt64(61), AudioMilliseconds = r.GetInt64(62), Characters = r.GetInt64(63),
            },
            Cost = new CostBreakdown
            {
                UncachedInput = NanoUsd.ToUsd(r.GetInt64(22)), CacheRead = NanoUsd.ToUsd(r.GetInt64(23)),
                CacheWrite5m = NanoUsd.ToUsd(r.GetInt64(24)), CacheWrite1h = NanoUsd.ToUsd(r.GetInt64(25)),
                Output = NanoUsd.ToUsd(r.GetInt64(26)), Reasoning = NanoUsd.ToUsd(r.GetInt64(27)),
                ToolCalls = NanoUsd.ToUsd(r.GetInt64(45)),
                AudioInput = NanoUsd.ToUsd(r.GetInt64(64)), AudioOutput = NanoUsd.ToUsd(r.GetInt64(65)),
                ImageInput = NanoUsd.ToUsd(r.GetInt64(66)), ImageOutput = NanoUsd.ToUsd(r.GetInt64(67)),
                Images = NanoUsd.ToUsd(r.GetInt64(68)), AudioSeconds = NanoUsd.ToUsd(r.GetInt64(69)), Characters = NanoUsd.ToUsd(r.GetInt64(70)),
            },
            CostNanos = r.GetInt64(28),
            CatalogVersion = S(29), Streamed = Flag(30), Estimated = Flag(31), Status = r.GetInt32(32),
            Outcome = Enum.Parse<LedgerOutcome>(r.GetString(33)), ErrorCode = S(34), LatencyMs = r.GetDouble(35),
            TimeToFirstTokenMs = r.IsDBNull(36) ? null : r.GetDouble(36), ProviderRequestId = S(37),
            Source = r.GetString(38), SessionId = S(39), BudgetAction = S(40), Justification = S(41),
            Savings = SavingsBreakdown.FromNanos(r.GetInt64(46), r.GetInt64(47), r.GetInt64(48), r.GetInt64(49), r.GetInt64(50), r.GetInt64(51)),
            Levers = S(52), RouteScore = r.IsDBNull(53) ? null : r.GetDouble(53), ParentId = S(54), OutputControl = S(55),
            PriceEstimated = Flag(56),
            PrefixHash = r.IsDBNull(71) ? null : r.GetInt64(71), PrefixTokens = r.GetInt64(72),
            PromptHash = r.IsDBNull(73) ? null : r.GetInt64(73), TurnSimHash = r.IsDBNull(74) ? null : r.GetInt64(74),
            MessageCount = r.GetInt32(75), FinishReason = S(76), ToolCallCount = r.GetInt32(77), ClientFamily = S(78), KeyKind = S(79), BatchId = S(80), CacheHit = S(81), CacheSourceId = S(82),
        };
    }

    /// <summary>
    /// One virtual key: id, person, team, display_prefix, created_at, revoked_at, kind, owner, expires_at, models,
    /// last_used_at, rotated_to (both key stores select these, in this order).
    /// </summary>
    public static VirtualKey Key(DbDataReader r)
    {
        string? S(int i) => r.IsDBNull(i) ? null : r.GetString(i);
        DateTimeOffset? T(int i) => r.IsDBNull(i) ? null : ParseTime(r.GetString(i));
        return new VirtualKey(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), ParseTime(r.GetString(4)), T(5))
        {
            Kind = r.GetString(6), Owner = S(7), ExpiresAt = T(8), Models = ModelAllowList.Parse(S(9)), LastUsedAt = T(10), RotatedTo = S(11),
        };
    }

    /// <summary>One outcome: source, source_id, type, title, person, team, project, repository, branch, key, started_at, completed_at, value_nanos.</summary>
    public static Outcome Outcome(DbDataReader r)
    {
        string? S(int i) => r.IsDBNull(i) ? null : r.GetString(i);
        OutcomeTypes.TryParse(r.GetString(2), out var type);
        return new Outcome
        {
            Source = r.GetString(0), SourceId = r.GetString(1), Type = type, Title = S(3), Person = S(4), Team = S(5), Project = S(6),
            Repository = S(7), Branch = S(8), Key = S(9), StartedAt = S(10) is { } s ? ParseTime(s) : null, CompletedAt = ParseTime(r.GetString(11)),
            ValueUsd = r.IsDBNull(12) ? null : NanoUsd.ToUsd(r.GetInt64(12)),
        };
    }

    /// <summary>One spend row: id, started_at, person, team, project, feature, ticket, pull_request, tags, cost_nanos.</summary>
    public static SpendRow Spend(DbDataReader r)
    {
        string? S(int i) => r.IsDBNull(i) ? null : r.GetString(i);
        return new SpendRow(r.GetString(0), ParseTime(r.GetString(1)), S(2), S(3), S(4), S(5), S(6), S(7), S(8), r.GetInt64(9));
    }
}
