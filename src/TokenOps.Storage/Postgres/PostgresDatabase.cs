using Npgsql;

namespace TokenOps.Storage.Postgres;

/// <summary>
/// A PostgreSQL database shared by every replica: one pooled <see cref="NpgsqlDataSource"/>, the schema applied on open
/// (one migrator at a time across replicas, see <see cref="PostgresMigrations"/>).
/// The connection string is a secret (it may hold a password): it is never logged, never kept as text here, and never
/// part of an exception message this class throws.
/// </summary>
public sealed class PostgresDatabase : IDisposable, IAsyncDisposable
{
    public NpgsqlDataSource DataSource { get; }

    /// <summary>The schema steps this open applied (empty when an earlier start or another replica had applied them all).</summary>
    public IReadOnlyList<string> StepsApplied { get; }

    public PostgresDatabase(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        NpgsqlDataSourceBuilder builder;
        try
        {
            builder = new NpgsqlDataSourceBuilder(connectionString);
            // Never hand the password back through NpgsqlConnection.ConnectionString (it is Npgsql's default; kept explicit).
            builder.ConnectionStringBuilder.PersistSecurityInfo = false;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            // The parser's message can quote a value: the text stays out of this exception, and so does the original one.
            throw new ArgumentException("The PostgreSQL connection string is not valid (it is not shown here: it may hold a password).", nameof(connectionString));
        }
        DataSource = builder.Build();
        try
        {
            StepsApplied = PostgresMigrations.Apply(DataSource);
        }
        catch
        {
            DataSource.Dispose();
            throw;
        }
    }

    public NpgsqlConnection Open() => DataSource.OpenConnection();

    public void Dispose() => DataSource.Dispose();

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
