using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using TokenOps.Core.Alerts;
using TokenOps.Gateway.Configuration;
using TokenOps.Storage;

namespace TokenOps.Gateway.Alerts;

/// <summary>
/// Delivers the alert outbox: each due row is POSTed to its webhook; a 2xx marks it delivered, anything else (status,
/// timeout, refused connection) schedules the next attempt with exponential backoff. Rows live in SQLite, so a webhook
/// that is down, or a restart, loses nothing.
/// </summary>
public sealed class WebhookDeliverer(IAlertStore store, AlertOptions options, TimeProvider time, HttpClient http, ILogger<WebhookDeliverer>? log = null)
{
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long a claimed row stays this replica's: far longer than a pass of attempts takes.</summary>
    public static readonly TimeSpan ClaimLease = TimeSpan.FromMinutes(2);

    /// <summary>Attempts every due delivery once; returns how many were delivered.</summary>
    public async Task<int> DeliverDueAsync(CancellationToken cancellationToken = default)
    {
        var hooks = options.Webhooks.ToDictionary(w => w.Id, StringComparer.Ordinal);
        var delivered = 0;
        // A webhook that fails is not tried again in this pass: one that times out must not stall the others.
        var failing = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        // Claimed, not just read: with several replicas on one database, each due row goes to one of them; if that one
        // dies mid-pass, the row falls due again when the lease ends.
        foreach (var (alert, delivery) in store.Claim(time.GetUtcNow(), ClaimLease))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (failing.TryGetValue(delivery.Webhook, out var retryAt))
            {
                // Not attempted: back to the queue, due when its webhook is next tried (not at the end of the lease).
                store.Release(alert.Id, delivery.Webhook, retryAt);
                continue;
            }
            if (!hooks.TryGetValue(delivery.Webhook, out var hook) || hook.ResolveUrl() is not { } url)
            {
                // Kept, not dropped: it is delivered if the webhook is configured again.
                store.MarkFailed(alert.Id, delivery.Webhook, time.GetUtcNow() + Backoff(delivery.Attempts), "webhook no longer configured");
                continue;
            }
            string? error;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(AttemptTimeout);
                using var content = new ByteArrayContent(hook.Format == "json" ? JsonBody(alert) : SlackBody(alert));
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var response = await http.PostAsync(url, content, timeout.Token);
                error = response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}";
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                // Any failure of one delivery (refused, timed out, reset, a malformed URL from the environment) is that
                // row's failure, never the pass's: the row backs off and the others go on.
                error = ex is TaskCanceledException ? "timed out" : ex.Message;
            }
            if (error is null)
            {
                store.MarkDelivered(alert.Id, delivery.Webhook, time.GetUtcNow());
                delivered++;
            }
            else
            {
                var wait = Backoff(delivery.Attempts);
                failing[delivery.Webhook] = time.GetUtcNow(); // its other rows stay due, for the next pass
                store.MarkFailed(alert.Id, delivery.Webhook, time.GetUtcNow() + wait, error);
                log?.LogWarning("Alert {Alert} to webhook {Webhook} failed ({Error}); attempt {Attempt}, retrying in {Wait}s",
                    alert.Id, delivery.Webhook, error, delivery.Attempts + 1, wait.TotalSeconds);
            }
        }
        return delivered;
    }

    /// <summary>Wait after the (<paramref name="previousAttempts"/>+1)-th failure: initial × 2^previousAttempts, capped.</summary>
    public TimeSpan Backoff(int previousAttempts)
    {
        var seconds = options.InitialBackoffSeconds * Math.Pow(2, Math.Min(previousAttempts, 30));
        return TimeSpan.FromSeconds(Math.Min(seconds, options.MaxBackoffSeconds));
    }

    /// <summary>Slack-compatible incoming-webhook body: {"text": "…"}.</summary>
    public static byte[] SlackBody(Alert alert) => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["text"] = alert.Message });

    /// <summary>Generic JSON body with typed fields.</summary>
    public static byte[] JsonBody(Alert alert)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("id", alert.Id);
            w.WriteString("kind", alert.Kind.ToString().ToLowerInvariant());
            w.WriteString("budget", alert.BudgetId);
            w.WriteString("level", alert.Level.ToString().ToLowerInvariant());
            w.WriteString("name", alert.Name);
            if (alert.Threshold is { } t) w.WriteNumber("threshold", t); else w.WriteNull("threshold");
            w.WriteNumber("spent_usd", alert.Spent);
            w.WriteNumber("limit_usd", alert.Limit);
            if (alert.ProjectedExhaustion is { } e) w.WriteString("projected_exhaustion", e.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            else w.WriteNull("projected_exhaustion");
            w.WriteString("period_start", alert.PeriodStart.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            w.WriteString("period_end", alert.PeriodEnd.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            w.WriteString("message", alert.Message);
            w.WriteString("created_at", alert.CreatedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
