using System.Globalization;
using System.Text.Json;
using TokenOps.Core.Outcomes;

namespace TokenOps.Gateway.Outcomes;

/// <summary>What a webhook payload means: an outcome, or a reason it was ignored.</summary>
public sealed record WebhookEvent(Outcome? Outcome, string? Ignored)
{
    public static WebhookEvent Ignore(string reason) => new(null, reason);
}

/// <summary>A payload that is not what its sender's documented shape says (answered 400).</summary>
public sealed class InvalidPayloadException(string message) : Exception(message);

/// <summary>
/// Reads the webhook payloads TokenOps accepts. People are external identities here; <see cref="OutcomeService"/> maps them.
/// Only the fields listed are read; the payload is never stored.
/// </summary>
public static class WebhookPayloads
{
    public const string AcceptedTicketShapes =
        "Jira (webhookEvent + issue.key + issue.fields), Linear (type \"Issue\" + data.identifier) or GitHub Issues (action + issue.number + repository.full_name)";

    /// <summary>GitHub: pull_request closed with merged=true → a PR outcome; issues closed (not "not_planned") → a ticket outcome.</summary>
    public static WebhookEvent GitHub(string eventName, JsonElement root, DateTimeOffset receivedAt) => eventName switch
    {
        "pull_request" => GitHubPullRequest(root),
        "issues" => GitHubIssue(root),
        _ => WebhookEvent.Ignore($"event '{eventName}' is not an outcome (only merged pull_request and closed issues are)"),
    };

    /// <summary>Ticket webhooks: Jira, Linear or GitHub Issues shapes, told apart by their fields.</summary>
    public static WebhookEvent Ticket(JsonElement root, DateTimeOffset receivedAt)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new InvalidPayloadException($"expected a JSON object: {AcceptedTicketShapes}");
        if (Obj(root, "issue") is { } issue && Obj(issue, "fields") is not null) return Jira(root, issue, receivedAt);
        if (Obj(root, "data") is { } data && (Str(root, "type") is not null || Str(data, "identifier") is not null)) return Linear(root, data);
        if (Obj(root, "issue") is { } ghIssue && ghIssue.TryGetProperty("number", out _)) return GitHubIssue(root);
        throw new InvalidPayloadException($"unrecognised ticket payload; accepted: {AcceptedTicketShapes}");
    }

    private static WebhookEvent GitHubPullRequest(JsonElement root)
    {
        var action = Str(root, "action");
        var pr = Obj(root, "pull_request") ?? throw new InvalidPayloadException("pull_request event without a pull_request object");
        if (action != "closed" || !(pr.TryGetProperty("merged", out var merged) && merged.ValueKind == JsonValueKind.True))
            return WebhookEvent.Ignore($"pull_request '{action}' is not a merge");
        var repo = Str(Obj(root, "repository"), "full_name") ?? Str(Obj(Obj(pr, "base"), "repo"), "full_name")
            ?? throw new InvalidPayloadException("merged pull_request without repository.full_name");
        var number = Number(pr, "number") ?? Number(root, "number") ?? throw new InvalidPayloadException("merged pull_request without a number");
        var completed = Time(pr, "merged_at") ?? throw new InvalidPayloadException("merged pull_request without merged_at");
        var key = $"{repo}#{number}";
        return new WebhookEvent(new Outcome
        {
            Source = "github-pr", SourceId = key, Key = key, Type = OutcomeType.Pr, Title = Str(pr, "title"),
            Person = Str(Obj(pr, "user"), "login"), Repository = repo, Branch = Str(Obj(pr, "head"), "ref"),
            StartedAt = Time(pr, "created_at"), CompletedAt = completed,
        }, null);
    }

    private static WebhookEvent GitHubIssue(JsonElement root)
    {
        var action = Str(root, "action");
        var issue = Obj(root, "issue") ?? throw new InvalidPayloadException("issues event without an issue object");
        if (action != "closed") return WebhookEvent.Ignore($"issue '{action}' is not a resolution");
        if (Str(issue, "state_reason") == "not_planned") return WebhookEvent.Ignore("issue closed as not planned");
        var repo = Str(Obj(root, "repository"), "full_name") ?? throw new InvalidPayloadException("closed issue without repository.full_name");
        var number = Number(issue, "number") ?? throw new InvalidPayloadException("closed issue without a number");
        var key = $"{repo}#{number}";
        return new WebhookEvent(new Outcome
        {
            Source = "github-issue", SourceId = key, Key = key, Type = OutcomeType.Ticket, Title = Str(issue, "title"),
            Person = Str(Obj(issue, "assignee"), "login") ?? Str(Obj(issue, "user"), "login"), Repository = repo,
            StartedAt = Time(issue, "created_at"),
            CompletedAt = Time(issue, "closed_at") ?? throw new InvalidPayloadException("closed issue without closed_at"),
        }, null);
    }

    private static WebhookEvent Jira(JsonElement root, JsonElement issue, DateTimeOffset receivedAt)
    {
        var evt = Str(root, "webhookEvent") ?? "";
        if (evt.Contains("deleted", StringComparison.OrdinalIgnoreCase)) return WebhookEvent.Ignore($"Jira '{evt}' is not a resolution");
        var key = Str(issue, "key") ?? throw new InvalidPayloadException("Jira issue without a key");
        var fields = Obj(issue, "fields")!.Value;
        var resolved = Obj(fields, "resolution") is not null
            || Str(Obj(Obj(fields, "status"), "statusCategory"), "key") == "done";
        if (!resolved) return WebhookEvent.Ignore($"Jira issue {key} is not resolved");
        var assignee = Obj(fields, "assignee");
        return new WebhookEvent(new Outcome
        {
            Source = "jira", SourceId = key, Key = key, Type = OutcomeType.Ticket, Title = Str(fields, "summary"),
            Person = Str(assignee, "name") ?? Str(assignee, "emailAddress") ?? Str(assignee, "accountId") ?? Str(assignee, "displayName"),
            Project = Str(Obj(fields, "project"), "key"), StartedAt = Time(fields, "created"),
            CompletedAt = Time(fields, "resolutiondate") ?? Time(root, "timestamp") ?? receivedAt,
        }, null);
    }

    private static WebhookEvent Linear(JsonElement root, JsonElement data)
    {
        var type = Str(root, "type");
        if (type is not null && type != "Issue") return WebhookEvent.Ignore($"Linear '{type}' is not an issue");
        if (Str(root, "action") == "remove") return WebhookEvent.Ignore("Linear issue removed");
        var key = Str(data, "identifier") ?? throw new InvalidPayloadException("Linear issue without data.identifier");
        var completed = Time(data, "completedAt");
        var stateType = Str(Obj(data, "state"), "type");
        if (completed is null || stateType is "canceled" or "backlog" or "unstarted" or "started" or "triage")
            return WebhookEvent.Ignore($"Linear issue {key} is not completed");
        var assignee = Obj(data, "assignee");
        return new WebhookEvent(new Outcome
        {
            Source = "linear", SourceId = key, Key = key, Type = OutcomeType.Ticket, Title = Str(data, "title"),
            Person = Str(assignee, "email") ?? Str(assignee, "name") ?? Str(data, "assigneeId"),
            Project = Str(Obj(data, "team"), "key"), StartedAt = Time(data, "startedAt") ?? Time(data, "createdAt"), CompletedAt = completed.Value,
        }, null);
    }

    private static JsonElement? Obj(JsonElement? parent, string name) =>
        parent is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v : null;

    private static string? Str(JsonElement? parent, string name) =>
        parent is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s ? s.Trim() : null;

    private static long? Number(JsonElement? parent, string name) =>
        parent is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : null;

    /// <summary>ISO 8601 (also Jira's "+0000" offsets) or epoch milliseconds.</summary>
    private static DateTimeOffset? Time(JsonElement? parent, string name)
    {
        if (parent is not { ValueKind: JsonValueKind.Object } p || !p.TryGetProperty(name, out var v)) return null;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var ms)) return DateTimeOffset.FromUnixTimeMilliseconds(ms);
        if (v.ValueKind != JsonValueKind.String || v.GetString() is not { Length: > 0 } s) return null;
        return ParseTime(s) ?? throw new InvalidPayloadException($"'{name}' is not a time");
    }

    public static DateTimeOffset? ParseTime(string s)
    {
        const DateTimeStyles styles = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal;
        if (DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, styles, out var t)) return t;
        // Jira: 2026-11-20T10:00:00.000+0000 (offset without a colon).
        if (s.Length > 5 && (s[^5] is '+' or '-') && s[^4..].All(char.IsAsciiDigit)
            && DateTimeOffset.TryParse(s[..^2] + ":" + s[^2..], CultureInfo.InvariantCulture, styles, out t)) return t;
        return null;
    }
}
