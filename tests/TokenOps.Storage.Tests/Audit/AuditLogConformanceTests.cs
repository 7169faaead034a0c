using TokenOps.Core.Audit;
using TokenOps.Core.Budgets;
using TokenOps.Storage.Audit;

namespace TokenOps.Storage.Tests.Audit;

/// <summary>
/// What every <see cref="IAuditLog"/> must do: one linked chain (also under concurrent appends), reads from a time,
/// UPDATE and DELETE refused by the database, tampering found by the chain; and what the auditing store wrappers record:
/// who, what, before and after, never a clear key.
/// </summary>
public abstract class AuditLogConformanceTests
{
    protected abstract IAuditLog Log { get; }
    protected abstract IKeyStore RawKeys { get; }
    protected abstract IBudgetStore RawBudgets { get; }

    /// <summary>Runs raw SQL as the database owner would (an attacker with database access).</summary>
    protected abstract void Execute(string sql);

    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    private static AuditEntry Entry(string action, int i = 0) => new()
    {
        At = T0.AddMinutes(i), Actor = "cli:ada", Origin = "laptop", Action = action, Subject = "budget:team:core",
        Before = i == 0 ? null : "{\"limit_nanos\":" + i + "}", After = "{\"limit_nanos\":" + (i + 1) + "}",
    };

    [Fact]
    public virtual void Appends_form_one_chain_that_verifies()
    {
        var first = Log.Append(Entry("budgets.set"));
        var second = Log.Append(Entry("budgets.set", 1));
        Assert.Equal((1L, AuditChain.Genesis), (first.Seq, first.PrevHash));
        Assert.Equal((2L, first.Hash), (second.Seq, second.PrevHash));
        var all = Log.Read();
        Assert.Equal([first, second], all);
        Assert.Null(AuditChain.Verify(all));
        Assert.Equal([second], Log.Read(T0.AddMinutes(1)));
    }

    [Fact]
    public virtual void Concurrent_appends_still_make_one_linear_chain()
    {
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, worker =>
        {
            for (var i = 0; i < 15; i++) Log.Append(Entry("keys.create", worker * 100 + i));
        });
        var all = Log.Read();
        Assert.Equal(Enumerable.Range(1, 60).Select(i => (long)i), all.Select(e => e.Seq));
        Assert.Null(AuditChain.Verify(all));
    }

    [Fact]
    public virtual void The_database_refuses_to_change_or_remove_an_entry()
    {
        Log.Append(Entry("budgets.set"));
        Assert.ThrowsAny<Exception>(() => Execute("UPDATE audit_log SET actor = 'someone-else'"));
        Assert.ThrowsAny<Exception>(() => Execute("DELETE FROM audit_log"));
        Assert.Equal("cli:ada", Assert.Single(Log.Read()).Actor);
    }

    [Fact]
    public virtual void Tampering_past_the_triggers_is_found_at_the_entry_changed()
    {
        for (var i = 0; i < 3; i++) Log.Append(Entry("budgets.set", i));
        DropTriggers();
        Execute("UPDATE audit_log SET after_value = '{\"limit_nanos\":999}' WHERE seq = 2");
        var broken = AuditChain.Verify(Log.Read());
        Assert.Equal(2, broken?.Seq);
        Execute("DELETE FROM audit_log WHERE seq = 2");
        Assert.Contains("missing", AuditChain.Verify(Log.Read())!.Reason);
    }

    /// <summary>What an attacker with owner rights on the database could do first.</summary>
    protected abstract void DropTriggers();

    [Fact]
    public virtual void Key_and_budget_changes_are_recorded_with_who_before_and_after_and_never_the_key()
    {
        AuditActor.ForRequest("admin:ops", "10.0.0.7");
        var recorder = new AuditRecorder(Log, TimeProvider.System);
        var keys = new AuditedKeyStore(RawKeys, recorder);
        var budgets = new AuditedBudgetStore(RawBudgets, recorder);
        var (key, secret) = keys.Create("ada", "payments");
        Assert.True(keys.Revoke(key.Id));
        Assert.False(keys.Revoke("key_nope"));
        var budget = new StoredBudget("team:payments", BudgetLevel.Team, "payments", 5_000_000_000, "monthly", "UTC", BudgetMode.Hard, SoftAction.Warn, false, 0, T0);
        budgets.Set(budget);
        budgets.Set(budget with { LimitNanos = 7_000_000_000 });
        Assert.True(budgets.Delete("team:payments"));

        var entries = Log.Read();
        Assert.Equal(["keys.create", "keys.revoke", "budgets.set", "budgets.set", "budgets.delete"], entries.Select(e => e.Action));
        Assert.All(entries, e => Assert.Equal(("admin:ops", "10.0.0.7"), (e.Actor, e.Origin)));
        Assert.All(entries, e => Assert.DoesNotContain(secret, (e.Before ?? "") + e.After, StringComparison.Ordinal));
        Assert.Contains("\"person\":\"ada\"", entries[0].After);
        Assert.Contains("\"revoked\":true", entries[1].After);
        Assert.Null(entries[2].Before);
        Assert.Contains("\"limit_nanos\":5000000000", entries[3].Before);
        Assert.Contains("\"limit_nanos\":7000000000", entries[3].After);
        Assert.Null(entries[4].After);
        Assert.Null(AuditChain.Verify(entries));
    }
}
