using System.Data.Common;
using TokenOps.Storage.Sql;

namespace TokenOps.Storage.Postgres;

/// <summary>Admin credentials (<see cref="SqlAdminCredentialStore"/>) in PostgreSQL, shared by every replica.</summary>
public sealed class PostgresAdminCredentialStore(PostgresDatabase database, TimeProvider time) : SqlAdminCredentialStore(time)
{
    protected override DbConnection Open() => database.Open();
}
