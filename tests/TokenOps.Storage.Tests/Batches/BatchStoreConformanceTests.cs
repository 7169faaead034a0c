namespace TokenOps.Storage.Tests.Batches;

/// <summary>
/// What every <see cref="IBatchStore"/> must do: keep files and batches with their owner, page one owner's batches newest
/// first, and let exactly one claimant settle a batch (a claim left behind expires; only the claimant's mark counts).
/// </summary>
public abstract class BatchStoreConformanceTests
{
    protected abstract IBatchStore Store { get; }

    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    private static StoredBatch Batch(string id, string owner, DateTimeOffset at, string protocol = "openai") =>
        new(id, "prov_" + id, protocol, "simulated-openai", owner, "key_1", owner, "core", "evals", null, "job=nightly", "/v1/chat/completions",
            "file-1", "in_progress", 123_456, 3, at);

    [Fact]
    public virtual void Files_and_batches_read_back_as_written()
    {
        var file = new StoredBatchFile("file-1", "simulated-openai", "ada", "key_1", "batch", "in.jsonl", 512, "/v1/chat/completions", 3, 99_000, null, T0);
        Assert.True(Store.AddFile(file));
        Assert.False(Store.AddFile(file with { Owner = "bob" }));
        Assert.Equal(file, Store.FindFile("file-1"));
        Assert.Null(Store.FindFile("file-2"));

        var batch = Batch("batch_1", "ada", T0);
        Assert.True(Store.Add(batch));
        Assert.False(Store.Add(batch with { Owner = "bob" }));
        Assert.Equal(batch, Store.Find("batch_1"));
        // A settler's opaque facts (a background response's request-time row) come back as written, and unsettled.
        // So does the id of its shared budget hold.
        var withFacts = Batch("resp_1", "ada", T0, "openai.responses") with { RowFacts = """{"Row":{"Ticket":"FIN-42 ü"}}""", HoldId = "evt_01hold" };
        Assert.True(Store.Add(withFacts));
        Assert.Equal(withFacts, Store.Find("resp_1"));
        Assert.Contains(withFacts, Store.Unsettled(10));
        Store.UpdateStatus("batch_1", "completed", T0.AddMinutes(5), "file-out", null);
        var updated = Store.Find("batch_1")!;
        Assert.Equal(("completed", T0.AddMinutes(5), "file-out", (string?)null), (updated.Status, updated.EndedAt, updated.OutputFileId, updated.ErrorFileId));
    }

    [Fact]
    public virtual void List_pages_one_owners_batches_of_one_protocol_newest_first()
    {
        for (var i = 0; i < 5; i++) Store.Add(Batch($"batch_{i}", "ada", T0.AddMinutes(i)));
        Store.Add(Batch("batch_bob", "bob", T0.AddMinutes(10)));
        Store.Add(Batch("msgbatch_1", "ada", T0.AddMinutes(11), "anthropic"));
        var first = Store.List("ada", "openai", null, 2);
        Assert.Equal(["batch_4", "batch_3"], first.Select(b => b.Id));
        var next = Store.List("ada", "openai", first[^1].Id, 10);
        Assert.Equal(["batch_2", "batch_1", "batch_0"], next.Select(b => b.Id));
        // Another owner's id is no cursor: nothing is revealed through it.
        Assert.Empty(Store.List("ada", "openai", "batch_bob", 10));
        Assert.Equal(["msgbatch_1"], Store.List("ada", "anthropic", null, 10).Select(b => b.Id));
    }

    [Fact]
    public virtual void One_claimant_settles_a_batch_and_an_expired_claim_can_be_taken_over()
    {
        Store.Add(Batch("batch_1", "ada", T0));
        Assert.True(Store.TryClaimSettlement("batch_1", "replica-a", T0, T0.AddMinutes(1)));
        Assert.False(Store.TryClaimSettlement("batch_1", "replica-b", T0.AddSeconds(30), T0.AddMinutes(2)));
        Assert.False(Store.MarkSettled("batch_1", "replica-b", 10, 3, T0.AddSeconds(30)));
        // replica-a died: its claim passes, replica-b takes over, and the late mark of replica-a no longer counts.
        Assert.True(Store.TryClaimSettlement("batch_1", "replica-b", T0.AddMinutes(1), T0.AddMinutes(3)));
        Assert.False(Store.MarkSettled("batch_1", "replica-a", 10, 3, T0.AddMinutes(1)));
        Assert.True(Store.MarkSettled("batch_1", "replica-b", 42, 3, T0.AddMinutes(2)));
        var settled = Store.Find("batch_1")!;
        Assert.Equal((42L, 3, T0.AddMinutes(2)), (settled.SettledNanos!.Value, settled.SettledRows!.Value, settled.SettledAt!.Value));
        Assert.False(Store.TryClaimSettlement("batch_1", "replica-c", T0.AddHours(1), T0.AddHours(2)));
        Assert.Empty(Store.Unsettled(10));
    }

    [Fact]
    public virtual void Concurrent_claims_have_exactly_one_winner()
    {
        Store.Add(Batch("batch_race", "ada", T0));
        var wins = 0;
        Parallel.For(0, 8, i =>
        {
            if (Store.TryClaimSettlement("batch_race", "replica-" + i, T0, T0.AddMinutes(5))) Interlocked.Increment(ref wins);
        });
        Assert.Equal(1, wins);
    }
}
