using TokenOps.Gateway.Configuration;
using TokenOps.Storage.Retention;

namespace TokenOps.Gateway.Health;

/// <summary>
/// Applies "retention" in a running gateway: every <see cref="RetentionOptions.CheckEveryHours"/>, old ledger detail is
/// exported and purged (<see cref="LedgerRetentionRunner"/>); one replica at a time. Never stops the gateway: a failed
/// run is logged and tried again at the next check.
/// </summary>
public sealed class RetentionService(GatewayOptions options, LedgerRetentionRunner runner, ILogger<RetentionService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Retention.LedgerDays is not { } days) return;
        using var timer = new PeriodicTimer(TimeSpan.FromHours(options.Retention.CheckEveryHours));
        try
        {
            do
            {
                try
                {
                    var result = await Task.Run(() => runner.Run(days, options.Retention.ExportPath(options.DataDirectory)), stoppingToken);
                    if (result.Purged > 0)
                        logger.LogInformation("Retention: exported {Rows} ledger rows before {Cutoff:yyyy-MM-dd} to {File} and purged them (rollups kept)",
                            result.Purged, result.Cutoff, result.ExportFile);
                    else if (result.Note is { } note && result.Due > 0)
                        logger.LogWarning("Retention: {Note}", note);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogError("Retention run failed, nothing purged that was not exported: {Message}", ex.Message);
                }
            } while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
