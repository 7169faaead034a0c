using System.Threading.Channels;

namespace TokenOps.Core.Buffers;

/// <summary>
/// Enumerates a source on another thread, a few batches ahead of the consumer: reading rows from a database (driver
/// calls per column) and working on them then overlap on two cores instead of taking turns. The order is kept; the
/// source's exception reaches the consumer; a consumer that stops early stops the reader.
/// </summary>
public static class ReadAhead
{
    public static IEnumerable<T> Of<T>(IEnumerable<T> source, int batchSize = 2048, int batchesAhead = 8)
    {
        var channel = Channel.CreateBounded<T[]>(new BoundedChannelOptions(batchesAhead) { SingleReader = true, SingleWriter = true });
        using var stop = new CancellationTokenSource();
        var producer = Task.Run(async () =>
        {
            try
            {
                var batch = new List<T>(batchSize);
                foreach (var item in source)
                {
                    batch.Add(item);
                    if (batch.Count < batchSize) continue;
                    await channel.Writer.WriteAsync(batch.ToArray(), stop.Token);
                    batch.Clear();
                }
                if (batch.Count > 0) await channel.Writer.WriteAsync(batch.ToArray(), stop.Token);
                channel.Writer.Complete();
            }
            catch (Exception ex)
            {
                channel.Writer.TryComplete(ex);
            }
        });
        try
        {
            while (channel.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
                while (channel.Reader.TryRead(out var batch))
                    foreach (var item in batch) yield return item;
        }
        finally
        {
            stop.Cancel();
            try { producer.GetAwaiter().GetResult(); } catch (OperationCanceledException) { }
        }
    }
}
