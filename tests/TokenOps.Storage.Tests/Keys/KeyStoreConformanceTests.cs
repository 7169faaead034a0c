using System.Data.Common;
using Microsoft.Extensions.Time.Testing;
using TokenOps.Core.Identity;

namespace TokenOps.Storage.Tests.Keys;

/// <summary>
/// What every <see cref="IKeyStore"/> must do, written once; each backend supplies the store (on its class's database,
/// with the given clock) and a connection for checking what is stored. Tests of a class share the database, so each
/// uses its own people and teams (a per-test suffix) and looks only at them.
/// </summary>
public abstract class KeyStoreConformanceTests
{
    protected FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero).AddTicks(1234567));

    /// <summary>The backend's store on this test class's database, reading time from <paramref name="time"/>.</summary>
    protected abstract IKeyStore CreateStore(TimeProvider time);

    /// <summary>A new connection to the store's database (to check what the keys table holds).</summary>
    protected abstract DbConnection OpenConnection();

    private IKeyStore? _store;
    protected IKeyStore Store => _store ??= CreateStore(Clock);

    /// <summary>A suffix that keeps this test's names apart from every other test's.</summary>
    protected static string Unique() => Guid.NewGuid().ToString("N")[..10];

    [Fact]
    public virtual void Create_returns_a_clear_key_that_finds_the_record()
    {
        var u = Unique();
        var (key, secret) = Store.Create("ada-" + u, "core-" + u);

        Assert.True(VirtualKeyFormat.LooksLikeKey(secret));
        Assert.StartsWith("key_", key.Id, StringComparison.Ordinal);
        Assert.Equal("ada-" + u, key.Person);
        Assert.Equal("core-" + u, key.Team);
        Assert.Equal(VirtualKeyFormat.Display(secret), key.DisplayPrefix);
        Assert.Equal(Clock.GetUtcNow(), key.CreatedAt);
        Assert.Null(key.RevokedAt);
        Assert.Equal(key, Store.FindBySecret(secret));
        Assert.Equal(key, Store.FindById(key.Id));
    }

    [Fact]
    public virtual void An_automation_key_keeps_its_kind_and_owner()
    {
        var u = Unique();
        var (bot, botSecret) = Store.Create("nightly-" + u, "core-" + u, KeyKinds.Automation, "ada-" + u);
        var (orphan, _) = Store.Create("orphan-" + u, "core-" + u, KeyKinds.Automation);
        var (person, _) = Store.Create("ada-" + u, "core-" + u);

        Assert.Equal((KeyKinds.Automation, "ada-" + u), (bot.Kind, bot.Owner));
        Assert.Equal(bot, Store.FindBySecret(botSecret));
        Assert.Equal((KeyKinds.Automation, (string?)null), (Store.FindById(orphan.Id)!.Kind, Store.FindById(orphan.Id)!.Owner));
        Assert.Equal((KeyKinds.Person, (string?)null), (Store.FindById(person.Id)!.Kind, Store.FindById(person.Id)!.Owner));
        Assert.Contains(Store.List(), k => k.Id == bot.Id && k.Owner == "ada-" + u);
        Assert.Throws<ArgumentException>(() => Store.Create("x-" + u, "core-" + u, "robot"));
        Assert.Throws<ArgumentException>(() => Store.Create("y-" + u, "core-" + u, KeyKinds.Person, "ada-" + u));
    }

    [Fact]
    public virtual void Keys_are_stored_hashed_never_in_clear()
    {
        var u = Unique();
        var (key, secret) = Store.Create("ada-" + u, "core-" + u);

        using var connection = OpenConnection();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT id, key_hash, display_prefix, person, created_at, revoked_at FROM keys WHERE id = '{key.Id}';";
        using var r = cmd.ExecuteReader();
        Assert.True(r.Read());
        Assert.Equal(VirtualKeyFormat.Hash(secret), r.GetString(1));
        for (var i = 0; i < r.FieldCount; i++)
        {
            if (!r.IsDBNull(i)) Assert.DoesNotContain(secret[VirtualKeyFormat.Prefix.Length..], Convert.ToString(r.GetValue(i)), StringComparison.Ordinal);
        }
        Assert.False(r.Read());
    }

    [Fact]
    public virtual void Unknown_secret_or_id_finds_nothing()
    {
        var u = Unique();
        var (key, secret) = Store.Create("ada-" + u, "core-" + u);

        Assert.Null(Store.FindBySecret(VirtualKeyFormat.NewKey()));
        Assert.Null(Store.FindBySecret(secret + "x"));
        Assert.Null(Store.FindBySecret(key.Id));
        Assert.Null(Store.FindById("key_" + u));
        Assert.Null(Store.FindById(secret));
    }

    [Fact]
    public virtual void Every_key_gets_its_own_id_and_secret()
    {
        var u = Unique();
        var (first, firstSecret) = Store.Create("ada-" + u, "core-" + u);
        var (second, secondSecret) = Store.Create("ada-" + u, "core-" + u);

        Assert.NotEqual(first.Id, second.Id);
        Assert.NotEqual(firstSecret, secondSecret);
        Assert.Equal(first.Id, Store.FindBySecret(firstSecret)!.Id);
        Assert.Equal(second.Id, Store.FindBySecret(secondSecret)!.Id);
        // The person (and team) is created once.
        Assert.Single(Store.People(), p => p.Name == "ada-" + u);
        Assert.Single(Store.Teams(), t => t == "core-" + u);
    }

    [Fact]
    public virtual void A_revoked_key_is_still_found_but_marked_revoked()
    {
        var u = Unique();
        var (key, secret) = Store.Create("ada-" + u, "core-" + u);
        var (other, otherSecret) = Store.Create("ada-" + u, "core-" + u);
        Clock.Advance(TimeSpan.FromMinutes(5));
        var revokedAt = Clock.GetUtcNow();

        Assert.True(Store.Revoke(key.Id));

        var found = Store.FindBySecret(secret);
        Assert.NotNull(found);
        Assert.True(found.IsRevoked);
        Assert.Equal(revokedAt, found.RevokedAt);
        Assert.Equal(key with { RevokedAt = revokedAt }, found);
        Assert.Equal(revokedAt, Store.FindById(key.Id)!.RevokedAt);
        Assert.Contains(Store.List(), k => k.Id == key.Id && k.IsRevoked);
        // The person's other key is untouched.
        Assert.Equal(other, Store.FindBySecret(otherSecret));
    }

    [Fact]
    public virtual void Revoking_again_keeps_the_first_revocation_time()
    {
        var u = Unique();
        var (key, _) = Store.Create("ada-" + u, "core-" + u);
        Clock.Advance(TimeSpan.FromMinutes(1));
        var first = Clock.GetUtcNow();
        Assert.True(Store.Revoke(key.Id));
        Clock.Advance(TimeSpan.FromHours(2));

        Assert.True(Store.Revoke(key.Id));

        Assert.Equal(first, Store.FindById(key.Id)!.RevokedAt);
    }

    [Fact]
    public virtual void Revoking_an_unknown_key_returns_false()
    {
        Assert.False(Store.Revoke("key_" + Unique()));
    }

    [Fact]
    public virtual void List_holds_every_key_in_creation_order_then_id()
    {
        var u = Unique();
        var (a, _) = Store.Create("ada-" + u, "core-" + u);
        Clock.Advance(TimeSpan.FromSeconds(1));
        var (b, _) = Store.Create("bob-" + u, "core-" + u);
        var (c, _) = Store.Create("cy-" + u, "web-" + u);
        Clock.Advance(TimeSpan.FromSeconds(1));
        var (d, _) = Store.Create("ada-" + u, "core-" + u);
        Store.Revoke(b.Id);

        var mine = Store.List().Where(k => k.Person.EndsWith(u, StringComparison.Ordinal)).ToList();

        var sameTime = new[] { b, c }.OrderBy(k => k.Id, StringComparer.Ordinal).Select(k => k.Id);
        Assert.Equal([a.Id, .. sameTime, d.Id], mine.Select(k => k.Id));
        Assert.Equal(c, mine.Single(k => k.Id == c.Id));
        Assert.Equal("web-" + u, mine.Single(k => k.Id == c.Id).Team);
        Assert.True(mine.Single(k => k.Id == b.Id).IsRevoked);
    }

    [Fact]
    public virtual void People_and_teams_are_listed_in_byte_order()
    {
        var u = Unique();
        // Ordinal order puts upper case before lower case ("Zed" < "amy"), which a linguistic collation would not.
        Store.Create("amy-" + u, "Ops-" + u);
        Store.Create("Zed-" + u, "Ops-" + u);
        Store.Create("bea-" + u, "dev-" + u);
        Store.Create("amy-" + u, "Ops-" + u);

        var people = Store.People().Where(p => p.Name.EndsWith(u, StringComparison.Ordinal)).ToList();
        var teams = Store.Teams().Where(t => t.EndsWith(u, StringComparison.Ordinal)).ToList();

        Assert.Equal([("Zed-" + u, "Ops-" + u), ("amy-" + u, "Ops-" + u), ("bea-" + u, "dev-" + u)], people);
        Assert.Equal(["Ops-" + u, "dev-" + u], teams);
    }

    [Fact]
    public virtual void A_person_cannot_join_a_second_team()
    {
        var u = Unique();
        Store.Create("ada-" + u, "core-" + u);
        var keys = Store.List().Count;

        var e = Assert.Throws<InvalidOperationException>(() => Store.Create("ada-" + u, "web-" + u));

        Assert.Contains("core-" + u, e.Message, StringComparison.Ordinal);
        Assert.Equal(keys, Store.List().Count);
        Assert.Equal([("ada-" + u, "core-" + u)], Store.People().Where(p => p.Name == "ada-" + u));
        // The whole creation was rolled back: the new team is not left behind.
        Assert.DoesNotContain("web-" + u, Store.Teams());
    }

    [Theory]
    [InlineData("", "core")]
    [InlineData("  ", "core")]
    [InlineData("ada", "")]
    [InlineData("ada", " \t")]
    public virtual void Empty_names_are_refused(string person, string team)
    {
        var keys = Store.List().Count;
        Assert.Throws<ArgumentException>(() => Store.Create(person, team));
        Assert.Equal(keys, Store.List().Count);
    }

    [Theory]
    [InlineData("ada\u0007", "core")]
    [InlineData("ada", "core\u200B")]
    [InlineData("ada\n", "core")]
    public virtual void Names_with_control_or_invisible_characters_are_refused(string person, string team)
    {
        var u = Unique();
        var e = Assert.Throws<InvalidNameException>(() => Store.Create(person + u, team + u));
        Assert.DoesNotContain(u, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Store.People(), p => p.Name.EndsWith(u, StringComparison.Ordinal) || p.Team.EndsWith(u, StringComparison.Ordinal));
        Assert.DoesNotContain(Store.Teams(), t => t.EndsWith(u, StringComparison.Ordinal));
    }

    [Fact]
    public virtual async Task Concurrent_creates_for_one_new_person_all_succeed_with_one_person_row()
    {
        var u = Unique();
        using var start = new Barrier(8);
        var created = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            start.SignalAndWait();
            return Store.Create("ada-" + u, "core-" + u);
        })));

        Assert.Equal(8, created.Select(c => c.Key.Id).Distinct().Count());
        Assert.All(created, c => Assert.Equal(c.Key.Id, Store.FindBySecret(c.Secret)!.Id));
        Assert.Equal([("ada-" + u, "core-" + u)], Store.People().Where(p => p.Name == "ada-" + u));
        Assert.Single(Store.Teams(), t => t == "core-" + u);
    }

    [Fact]
    public virtual async Task Concurrent_creates_for_one_new_person_in_two_teams_leave_the_person_in_one()
    {
        var u = Unique();
        using var start = new Barrier(8);
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() =>
        {
            start.SignalAndWait();
            try { return (Team: Store.Create("ada-" + u, (i % 2 == 0 ? "core-" : "web-") + u).Key.Team, Refused: false); }
            catch (InvalidOperationException) { return (Team: (string?)null, Refused: true); }
        })));

        var person = Assert.Single(Store.People(), p => p.Name == "ada-" + u);
        var won = outcomes.Where(o => !o.Refused).ToList();
        Assert.NotEmpty(won);
        Assert.All(won, o => Assert.Equal(person.Team, o.Team));
        Assert.Equal(won.Count, Store.List().Count(k => k.Person == "ada-" + u));
        Assert.All(Store.List().Where(k => k.Person == "ada-" + u), k => Assert.Equal(person.Team, k.Team));
        // The losing team was rolled back with its creations.
        Assert.Equal([person.Team], Store.Teams().Where(t => t.EndsWith(u, StringComparison.Ordinal)));
    }

    [Fact]
    public virtual void Limits_expiry_and_a_model_allow_list_are_kept_and_cleared()
    {
        var u = Unique();
        var (key, _) = Store.Create("lim-" + u, "core-" + u);
        var until = Clock.GetUtcNow().AddDays(30);
        Assert.True(Store.SetLimits(key.Id, until, ModelAllowList.Parse("gpt-4o-mini, claude-*")));
        var read = Store.FindById(key.Id)!;
        Assert.Equal(until, read.ExpiresAt);
        Assert.Equal(["gpt-4o-mini", "claude-*"], read.Models!.Patterns);
        Assert.True(read.Models.Allows("claude-sonnet-4-5") && !read.Models.Allows("gpt-4o"));
        Assert.False(read.IsExpired(Clock.GetUtcNow()));
        Assert.True(read.IsExpired(until));
        Assert.True(Store.SetLimits(key.Id, null, null));
        Assert.Equal((null, null), (Store.FindById(key.Id)!.ExpiresAt, Store.FindById(key.Id)!.Models));
        Assert.False(Store.SetLimits("key_missing" + u, until, null));
    }

    [Fact]
    public virtual void Rotation_makes_a_successor_and_the_old_key_expires_after_the_overlap()
    {
        var u = Unique();
        var (old, oldSecret) = Store.Create("rot-" + u, "core-" + u);
        Store.SetLimits(old.Id, Clock.GetUtcNow().AddDays(90), ModelAllowList.Parse("gpt-4o-mini"));
        var overlapEnd = Clock.GetUtcNow().AddHours(24);
        var (successor, secret) = Store.Rotate(old.Id, overlapEnd)!.Value;
        Assert.NotEqual(old.Id, successor.Id);
        Assert.NotEqual(oldSecret, secret);
        var fresh = Store.FindBySecret(secret)!;
        Assert.Equal((old.Person, old.Team, "gpt-4o-mini"), (fresh.Person, fresh.Team, fresh.Models!.ToString()));
        // The same lifetime as the old key had, from now.
        Assert.Equal(Clock.GetUtcNow().AddDays(90), fresh.ExpiresAt);
        var before = Store.FindBySecret(oldSecret)!;
        Assert.Equal((overlapEnd, successor.Id), (before.ExpiresAt, before.RotatedTo));
        Assert.Null(Store.Rotate("key_missing" + u, overlapEnd));
        Store.Revoke(successor.Id);
        Assert.Null(Store.Rotate(successor.Id, overlapEnd));
    }

    [Fact]
    public virtual void Last_use_is_recorded_and_never_goes_back()
    {
        var u = Unique();
        var (key, _) = Store.Create("use-" + u, "core-" + u);
        var at = Clock.GetUtcNow().AddMinutes(5);
        Store.MarkUsed([(key.Id, at), ("key_missing" + u, at)]);
        Store.MarkUsed([(key.Id, at.AddMinutes(-1))]);
        Assert.Equal(at, Store.FindById(key.Id)!.LastUsedAt);
    }

    [Fact]
    public virtual void A_person_moves_team_from_a_date_and_keys_follow_from_then()
    {
        var u = Unique();
        var (key, secret) = Store.Create("mov-" + u, "payments-" + u);
        var from = Clock.GetUtcNow().AddDays(2);
        Store.MoveTeam("mov-" + u, "growth-" + u, from);
        // Before the date: still payments, and a key for growth is refused with how to move them.
        Assert.Equal("payments-" + u, Store.FindBySecret(secret)!.Team);
        var refused = Assert.Throws<InvalidOperationException>(() => Store.Create("mov-" + u, "growth-" + u));
        Assert.Contains("tokenops people move", refused.Message);
        Clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal("growth-" + u, Store.FindBySecret(secret)!.Team);
        Assert.Equal("growth-" + u, Store.FindById(key.Id)!.Team);
        Assert.Contains(("mov-" + u, "growth-" + u), Store.People());
        Assert.Contains("growth-" + u, Store.Teams());
        Assert.Equal([new TeamMove("mov-" + u, "growth-" + u, from)], Store.TeamMoves("mov-" + u));
        var (second, _) = Store.Create("mov-" + u, "growth-" + u);
        Assert.Equal("growth-" + u, second.Team);
        Assert.Throws<InvalidOperationException>(() => Store.MoveTeam("nobody-" + u, "growth-" + u, from));
    }
}
