using System.Data.Common;

namespace TokenOps.Storage.Sql;

/// <summary>
/// Opens a connection and runs <c>SELECT 1</c>, bounded by a timeout: the same probe for every backend. A failure is
/// an answer (false), never an exception, and its message is not kept: a driver's message can name hosts and users.
/// </summary>
public sealed class SqlStorageProbe(string backend, Func<CancellationToken, Task<DbConnection>> open) : IStorageProbe
{
    public string Backend { get; } = backend;

    public async Task<bool> ReachableAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        try
        {
            await using var connection = await open(bounded.Token);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1;";
            await command.ExecuteScalarAsync(bounded.Token);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false; // timed out
        }
        catch (DbException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
