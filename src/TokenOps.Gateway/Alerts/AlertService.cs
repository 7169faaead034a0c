using TokenOps.Gateway.Configuration;

namespace TokenOps.Gateway.Alerts;

/// <summary>
/// Runs alert evaluation every <see cref="AlertOptions.EvaluateEverySeconds"/> and delivers the webhook outbox between
/// evaluations (as often as the first backoff step, within [0.05 s, evaluation interval]). Errors are logged and the loop
/// goes on; tests drive <see cref="AlertEngine"/> and <see cref="WebhookDeliverer"/> directly with a fake clock.
/// </summary>
public sealed class AlertService(AlertEngine engine, WebhookDeliverer deliverer, Waste.WasteDigest digest, AlertOptions options, TimeProvider time, ILogger<AlertService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var every = TimeSpan.FromSeconds(options.EvaluateEverySeconds);
        var tick = TimeSpan.FromSeconds(Math.Clamp(options.InitialBackoffSeconds, 0.05, options.EvaluateEverySeconds));
        var nextEvaluation = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (time.GetUtcNow() >= nextEvaluation)
                {
                    var added = engine.Evaluate();
                    if (added.Count > 0) log.LogInformation("{Count} new alert(s): {Messages}", added.Count, string.Join(" | ", added.Select(a => a.Message)));
                    digest.TryAdd();
                    nextEvaluation = time.GetUtcNow() + every;
                }
                if (options.Webhooks.Count > 0) await deliverer.DeliverDueAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                log.LogWarning("Alert evaluation or delivery failed, will retry: {Message}", ex.Message);
            }
            try
            {
                await Task.Delay(tick, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }
}
