namespace TokenOps.Storage.Tests.Dashboard;

/// <summary>
/// What every <see cref="ISessionStore"/> must do: find live sessions only, bound them per principal and in total in
/// one step, end one or all of a principal's. Each test gets an empty store of its own (bounds count every row).
/// </summary>
public abstract class SessionStoreConformanceTests
{
    protected abstract ISessionStore Store { get; }

    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 8, 0, 0, TimeSpan.Zero);

    private static StoredSession Session(string hash, string principal, DateTimeOffset created, string role = "Developer", string? keyId = "key_1") =>
        new(hash, principal, role, "ada", "core", false, keyId, created, created.AddHours(8));

    [Fact]
    public virtual void Add_then_Find_returns_the_session_until_it_expires()
    {
        var s = Session("h1", "key_1", T0) with { Transparency = true, Team = "Payments", Person = "émile" };
        Assert.True(Store.Add(s, T0, 5, 100));
        Assert.Equal(s, Store.Find("h1", T0.AddHours(1)));
        Assert.Null(Store.Find("h1", s.ExpiresAt));
        Assert.Null(Store.Find("other", T0));
    }

    [Fact]
    public virtual void A_principal_over_its_bound_loses_its_oldest_session_and_nobody_elses()
    {
        Assert.True(Store.Add(Session("other", "key_2", T0), T0, 2, 100));
        Assert.True(Store.Add(Session("a", "key_1", T0.AddMinutes(1)), T0.AddMinutes(1), 2, 100));
        Assert.True(Store.Add(Session("b", "key_1", T0.AddMinutes(2)), T0.AddMinutes(2), 2, 100));
        Assert.True(Store.Add(Session("c", "key_1", T0.AddMinutes(3)), T0.AddMinutes(3), 2, 100));
        var at = T0.AddMinutes(4);
        Assert.Null(Store.Find("a", at));
        Assert.NotNull(Store.Find("b", at));
        Assert.NotNull(Store.Find("c", at));
        Assert.NotNull(Store.Find("other", at));
    }

    [Fact]
    public virtual void A_full_table_refuses_a_principal_without_sessions_after_dropping_expired_ones()
    {
        Assert.True(Store.Add(Session("x1", "key_x", T0), T0, 5, 2));
        Assert.True(Store.Add(Session("x2", "key_x", T0.AddMinutes(1)), T0.AddMinutes(1), 5, 2));
        Assert.False(Store.Add(Session("y1", "key_y", T0.AddMinutes(2)), T0.AddMinutes(2), 5, 2));
        // The full principal may still sign in: it gives up its own oldest.
        Assert.True(Store.Add(Session("x3", "key_x", T0.AddMinutes(3)), T0.AddMinutes(3), 5, 2));
        Assert.Null(Store.Find("x1", T0.AddMinutes(3)));
        // Once the others' sessions have expired, they make room.
        var later = T0.AddHours(9);
        Assert.True(Store.Add(Session("y2", "key_y", later), later, 5, 2));
        Assert.NotNull(Store.Find("y2", later));
    }

    [Fact]
    public virtual void Remove_and_RemovePrincipal_end_sessions()
    {
        Assert.True(Store.Add(Session("a", "key_1", T0), T0, 5, 100));
        Assert.True(Store.Add(Session("b", "key_1", T0), T0, 5, 100));
        Assert.True(Store.Add(Session("admin1", "admin", T0, role: "Admin", keyId: null), T0, 5, 100));
        Store.Remove("a");
        Assert.Null(Store.Find("a", T0));
        Assert.Equal(1, Store.RemovePrincipal("key_1"));
        Assert.Null(Store.Find("b", T0));
        var admin = Store.Find("admin1", T0);
        Assert.Equal(("Admin", null), (admin?.Role, admin?.KeyId));
    }

    [Fact]
    public virtual void Concurrent_sign_ins_keep_the_bound()
    {
        Parallel.For(0, 24, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
            Store.Add(Session($"c{i:D2}", "key_busy", T0.AddSeconds(i)), T0.AddSeconds(i), 3, 100));
        var live = Enumerable.Range(0, 24).Count(i => Store.Find($"c{i:D2}", T0.AddMinutes(1)) is not null);
        Assert.Equal(3, live);
    }
}
