using System.Globalization;

namespace TokenOps.Core.Outcomes;

/// <summary>Which rule linked a ledger row to an outcome (or that none did).</summary>
public enum LinkRule
{
    /// <summary>The request named the outcome: X-TokenOps-PR / -Ticket / -Feature, or a pr=, ticket=, feature=, outcome= tag.</summary>
    Explicit,
    /// <summary>The request's branch= tag (and repo= tag, if any) is a merged PR's head branch.</summary>
    Branch,
    /// <summary>The request's repo= tag is an outcome's repository, the request is in that outcome's window and by its person.</summary>
    Repository,
    /// <summary>Fallback: the request is by the outcome's person, inside the outcome's window.</summary>
    AuthorWindow,
    Unlinked,
}

public readonly record struct LinkResult(Outcome? Outcome, LinkRule Rule)
{
    public static readonly LinkResult None = new(null, LinkRule.Unlinked);
}

/// <summary>
/// Links one ledger row to at most one outcome with a small ordered policy; the first rule that finds a candidate wins:
/// <list type="number">
/// <item>explicit attribution: outcome= tag (an outcome id), then the PR (X-TokenOps-PR or pr= tag; "42", "#42", "shop#42",
/// "acme/shop#42" or a GitHub pull URL; a repo= tag narrows a bare number), then the ticket (X-TokenOps-Ticket or ticket= tag,
/// the ticket's key, case-insensitive), then the feature (X-TokenOps-Feature or feature= tag, the feature outcome's key).
/// A name that matches no recorded outcome falls through to the next rules;</item>
/// <item>branch: the branch= tag equals a merged PR's head branch (same repository when a repo= tag is present) that merged
/// at or after the request;</item>
/// <item>repository: the repo= tag equals the outcome's repository, the request is inside its window and, when both are known,
/// by its person;</item>
/// <item>author window (fallback): the request's person is the outcome's person and the request started inside the window
/// [started_at, completed_at] (both inclusive); an outcome without a start uses [completed_at − fallback window, completed_at].</item>
/// </list>
/// When several outcomes match within one rule the row goes to exactly one: the earliest-completing outcome that completed at
/// or after the request (ties by id, ordinal); for explicit names only, if every candidate completed before the request, the
/// latest of them. Pure: no clock, no I/O.
/// </summary>
public sealed class OutcomeLinker
{
    private static readonly IComparer<Outcome> Order = Comparer<Outcome>.Create((a, b) =>
    {
        var c = a.CompletedAt.CompareTo(b.CompletedAt);
        return c != 0 ? c : string.CompareOrdinal(a.Id, b.Id);
    });

    private readonly TimeSpan _fallbackWindow;
    private readonly Dictionary<string, Outcome> _byId = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<long, List<Outcome>> _prsByNumber = [];
    private readonly Dictionary<string, List<Outcome>> _ticketsByKey = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, List<Outcome>> _featuresByKey = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, List<Outcome>> _prsByBranch = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Outcome>> _byRepository = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, List<Outcome>> _byPerson = new(StringComparer.OrdinalIgnoreCase);

    public OutcomeLinker(IEnumerable<Outcome> outcomes, TimeSpan fallbackWindow)
    {
        _fallbackWindow = fallbackWindow;
        foreach (var o in outcomes)
        {
            if (!_byId.TryAdd(o.Id, o)) continue;
            if (o.Type == OutcomeType.Pr && PrReference.TryParse(o.Key ?? o.SourceId, out var pr))
                Add(_prsByNumber, pr.Number, o);
            if (o.Type == OutcomeType.Ticket && !string.IsNullOrEmpty(o.Key)) Add(_ticketsByKey, o.Key, o);
            if (o.Type == OutcomeType.Feature) Add(_featuresByKey, o.Key ?? o.SourceId, o);
            if (o.Type == OutcomeType.Pr && !string.IsNullOrEmpty(o.Branch)) Add(_prsByBranch, o.Branch, o);
            if (!string.IsNullOrEmpty(o.Repository)) Add(_byRepository, o.Repository, o);
            if (!string.IsNullOrEmpty(o.Person)) Add(_byPerson, o.Person, o);
        }
        foreach (var list in _prsByNumber.Values) list.Sort(Order);
        foreach (var list in _ticketsByKey.Values) list.Sort(Order);
        foreach (var list in _featuresByKey.Values) list.Sort(Order);
        foreach (var list in _prsByBranch.Values) list.Sort(Order);
        foreach (var list in _byRepository.Values) list.Sort(Order);
        foreach (var list in _byPerson.Values) list.Sort(Order);
    }

    public IReadOnlyCollection<Outcome> Outcomes => _byId.Values;

    /// <summary>The start of an outcome's fallback window.</summary>
    public DateTimeOffset WindowStart(Outcome o) => o.StartedAt ?? o.CompletedAt - _fallbackWindow;

    public LinkResult Link(in SpendRow row)
    {
        var t = row.StartedAt;
        var rowPerson = row.Person;
        var tags = LinkTags.Parse(row.Tags);
        var repoTag = tags.Repo;

        // 1. Explicit attribution.
        if (tags.Outcome is { } id && _byId.TryGetValue(id, out var named)) return new(named, LinkRule.Explicit);
        if ((row.PullRequest ?? tags.Pr) is { } prText && PrReference.TryParse(prText, out var pr)
            && _prsByNumber.TryGetValue(pr.Number, out var prs)
            && PickExplicit(prs.Where(o => SameRepository(o.Repository, pr.Repository ?? repoTag)), t) is { } prOutcome)
            return new(prOutcome, LinkRule.Explicit);
        if ((row.Ticket ?? tags.Ticket) is { } ticket && _ticketsByKey.TryGetValue(ticket.Trim(), out var tickets)
            && PickExplicit(tickets, t) is { } ticketOutcome)
            return new(ticketOutcome, LinkRule.Explicit);
        if ((row.Feature ?? tags.Feature) is { } feature && _featuresByKey.TryGetValue(feature.Trim(), out var features)
            && PickExplicit(features, t) is { } featureOutcome)
            return new(featureOutcome, LinkRule.Explicit);

        // 2. Branch, then repository.
        if (tags.Branch is { } branch && _prsByBranch.TryGetValue(branch, out var branchPrs)
            && FirstCompletingAtOrAfter(branchPrs, t, o => SameRepository(o.Repository, repoTag)) is { } branchOutcome)
            return new(branchOutcome, LinkRule.Branch);
        if (repoTag is not null && _byRepository.TryGetValue(repoTag, out var repoOutcomes)
            && FirstCompletingAtOrAfter(repoOutcomes, t, o => WindowStart(o) <= t
                && (rowPerson is null || o.Person is null || string.Equals(rowPerson, o.Person, StringComparison.OrdinalIgnoreCase))) is { } repoOutcome)
            return new(repoOutcome, LinkRule.Repository);

        // 3. The author's window.
        if (row.Person is { } person && _byPerson.TryGetValue(person, out var own)
            && FirstCompletingAtOrAfter(own, t, o => WindowStart(o) <= t) is { } ownOutcome)
            return new(ownOutcome, LinkRule.AuthorWindow);

        return LinkResult.None;
    }

    private static bool SameRepository(string? outcomeRepository, string? named)
    {
        if (named is null) return true;
        if (outcomeRepository is null) return false;
        if (string.Equals(outcomeRepository, named, StringComparison.OrdinalIgnoreCase)) return true;
        // "shop" names "acme/shop".
        return !named.Contains('/', StringComparison.Ordinal)
            && outcomeRepository.EndsWith("/" + named, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Earliest-completing candidate completing at or after <paramref name="t"/>; else the latest before it.</summary>
    private static Outcome? PickExplicit(IEnumerable<Outcome> sorted, DateTimeOffset t)
    {
        Outcome? latestBefore = null;
        foreach (var o in sorted)
        {
            if (o.CompletedAt >= t) return o;
            latestBefore = o;
        }
        return latestBefore;
    }

    private static Outcome? FirstCompletingAtOrAfter(List<Outcome> sorted, DateTimeOffset t, Func<Outcome, bool> accept)
    {
        // Binary search for the first outcome completing at or after t, then scan forward for the first accepted one.
        int lo = 0, hi = sorted.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (sorted[mid].CompletedAt < t) lo = mid + 1; else hi = mid;
        }
        for (var i = lo; i < sorted.Count; i++)
            if (accept(sorted[i])) return sorted[i];
        return null;
    }

    private static void Add<TKey>(Dictionary<TKey, List<Outcome>> index, TKey key, Outcome o) where TKey : notnull
    {
        if (!index.TryGetValue(key, out var list)) index[key] = list = [];
        list.Add(o);
    }
}

/// <summary>The tags linking reads, found in one pass over "k=v,k2=v2" (keys case-insensitive; repository= is repo=).</summary>
internal readonly record struct LinkTags(string? Outcome, string? Pr, string? Ticket, string? Feature, string? Branch, string? Repo)
{
    public static LinkTags Parse(string? tags)
    {
        if (string.IsNullOrEmpty(tags)) return default;
        string? outcome = null, pr = null, ticket = null, feature = null, branch = null, repo = null;
        foreach (var part in tags.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0) continue;
            var value = part[(eq + 1)..].Trim();
            if (value.Length == 0) continue;
            switch (part[..eq].Trim().ToLowerInvariant())
            {
                case "outcome": outcome ??= value; break;
                case "pr": pr ??= value; break;
                case "ticket": ticket ??= value; break;
                case "feature": feature ??= value; break;
                case "branch": branch ??= value; break;
                case "repo" or "repository": repo ??= value; break;
            }
        }
        return new LinkTags(outcome, pr, ticket, feature, branch, repo);
    }
}

/// <summary>A pull request reference: "42", "#42", "shop#42", "acme/shop#42", "https://github.com/acme/shop/pull/42".</summary>
public readonly record struct PrReference(string? Repository, long Number)
{
    public static bool TryParse(string? text, out PrReference reference)
    {
        reference = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var s = text.Trim();
        string? repo = null;
        var pull = s.IndexOf("/pull/", StringComparison.OrdinalIgnoreCase);
        if (pull > 0 && Uri.TryCreate(s, UriKind.Absolute, out var uri))
        {
            var segments = uri.AbsolutePath.Trim('/').Split('/');
            if (segments.Length < 4 || !segments[2].Equals("pull", StringComparison.OrdinalIgnoreCase)) return false;
            repo = segments[0] + "/" + segments[1];
            s = segments[3];
        }
        else
        {
            var hash = s.LastIndexOf('#');
            if (hash >= 0)
            {
                if (hash > 0) repo = s[..hash].Trim();
                s = s[(hash + 1)..];
            }
        }
        if (!long.TryParse(s.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number <= 0) return false;
        reference = new PrReference(string.IsNullOrEmpty(repo) ? null : repo, number);
        return true;
    }

    public override string ToString() => Repository is null ? $"#{Number}" : $"{Repository}#{Number}";
}
