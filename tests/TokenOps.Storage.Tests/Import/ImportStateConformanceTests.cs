namespace TokenOps.Storage.Tests.Import;

/// <summary>
/// What every <see cref="IImportState"/> must do, written once. Tests of a class share the database, so each uses its
/// own paths.
/// </summary>
public abstract class ImportStateConformanceTests
{
    /// <summary>The backend's import state on this test class's database.</summary>
    protected abstract IImportState State { get; }

    protected static string NewPath() => $"/home/ada/.claude/projects/p/{Guid.NewGuid():N}.jsonl";

    [Fact]
    public virtual void Load_of_an_unknown_file_is_null()
    {
        Assert.Null(State.Load("claude-code", NewPath()));
    }

    [Fact]
    public virtual void A_fully_read_file_round_trips()
    {
        var path = NewPath();

        State.Save("claude-code", path, 4096, "2026-01-02T03:04:05.1234567Z", 4096, 17, null);

        Assert.Equal(new ImportFileState(4096, "2026-01-02T03:04:05.1234567Z", 4096, 17, null), State.Load("claude-code", path));
    }

    [Fact]
    public virtual void The_parser_carry_over_round_trips()
    {
        var path = NewPath();
        var carry = """{"session":"s1","pending":{"msg_1":[1,2,3]},"note":"é ✓ 𝄞 \"quoted\" \n"}""";

        State.Save("codex", path, 100, "2026-01-02T03:04:05Z", 100, 3, carry);

        Assert.Equal(carry, State.Load("codex", path)!.Value.Carry);
    }

    [Fact]
    public virtual void A_partial_last_line_records_the_file_as_not_fully_read()
    {
        var path = NewPath();

        State.Save("claude-code", path, 5000, "2026-01-02T03:04:05Z", 4990, 40, "c");

        // The size is recorded as unknown (-1), so the next import reads from the offset even if the size is unchanged.
        Assert.Equal(new ImportFileState(-1, "2026-01-02T03:04:05Z", 4990, 40, "c"), State.Load("claude-code", path));
    }

    [Fact]
    public virtual void Save_overwrites_every_field()
    {
        var path = NewPath();
        State.Save("claude-code", path, 5000, "2026-01-02T03:04:05Z", 4990, 40, "carry");

        State.Save("claude-code", path, 9000, "2026-02-02T00:00:00Z", 9000, 71, null);

        Assert.Equal(new ImportFileState(9000, "2026-02-02T00:00:00Z", 9000, 71, null), State.Load("claude-code", path));
    }

    [Fact]
    public virtual void Sources_and_paths_are_kept_apart()
    {
        var path = NewPath();
        var other = NewPath();
        State.Save("claude-code", path, 10, "m1", 10, 1, null);
        State.Save("codex", path, 20, "m2", 20, 2, "x");
        State.Save("claude-code", other, 30, "m3", 30, 3, null);

        Assert.Equal(new ImportFileState(10, "m1", 10, 1, null), State.Load("claude-code", path));
        Assert.Equal(new ImportFileState(20, "m2", 20, 2, "x"), State.Load("codex", path));
        Assert.Equal(new ImportFileState(30, "m3", 30, 3, null), State.Load("claude-code", other));
        Assert.Null(State.Load("codex", other));
        // Case matters: a path differing only in case is another file.
        Assert.Null(State.Load("claude-code", path.ToUpperInvariant()));
    }

    [Fact]
    public virtual void Offsets_beyond_the_range_of_an_int_round_trip()
    {
        var path = NewPath();
        const long size = 5_000_000_000L;

        State.Save("claude-code", path, size, "m", size, int.MaxValue, null);

        Assert.Equal(new ImportFileState(size, "m", size, int.MaxValue, null), State.Load("claude-code", path));
    }
}
