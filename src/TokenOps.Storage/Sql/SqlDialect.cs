using System.Data.Common;

namespace TokenOps.Storage.Sql;

/// <summary>
/// The few places where the ledger reads both backends share (<see cref="SqlRollupQueries"/>, <see cref="SqlLedgerExplorer"/>,
/// <see cref="SqlSpendQueries"/>, <see cref="SqlUsageReader"/>) need different SQL. Everything else is the same text:
/// parameters are written <c>@name</c>, which SQLite and Npgsql both bind.
/// </summary>
public sealed class SqlDialect
{
    /// <summary>SQLite: SUM of integers is an integer; hints name the partial indexes the planner would not pick.</summary>
    public static readonly SqlDialect Sqlite = new(sum => $"SUM({sum})", text => text, index => $" INDEXED BY {index}");

    /// <summary>PostgreSQL: SUM(bigint) is numeric, cast back; byte order is the "C" collation; no index hints.</summary>
    public static readonly SqlDialect Postgres = new(sum => $"SUM({sum})::bigint", text => $"{text} COLLATE \"C\"", _ => "");

    private readonly Func<string, string> _sum;
    private readonly Func<string, string> _byteOrder;
    private readonly Func<string, string> _indexHint;

    private SqlDialect(Func<string, string> sum, Func<string, string> byteOrder, Func<string, string> indexHint)
    {
        _sum = sum;
        _byteOrder = byteOrder;
        _indexHint = indexHint;
    }

    /// <summary>A sum of integers read back as a 64-bit integer.</summary>
    public string Sum(string expression) => _sum(expression);

    /// <summary>A text expression compared in byte order (SQLite's BINARY, the default there), for MIN/MAX and ordering.</summary>
    public string ByteOrder(string expression) => _byteOrder(expression);

    /// <summary>Text to put after a table name to make the planner use <paramref name="index"/> (empty where there is no such hint).</summary>
    public string IndexHint(string index) => _indexHint(index);

    /// <summary>Adds a named parameter (<c>@name</c> in the SQL).</summary>
    public static void Parameter(DbCommand command, string name, object? value)
    {
        var p = command.CreateParameter();
        p.ParameterName = "@" + name;
        p.Value = value ?? DBNull.Value;
        command.Parameters.Add(p);
    }

    /// <summary>A flag column: SQLite stores 0/1 integers, PostgreSQL booleans.</summary>
    public static bool Flag(DbDataReader r, int i) => r.GetFieldType(i) == typeof(bool) ? r.GetBoolean(i) : r.GetInt64(i) != 0;
}
