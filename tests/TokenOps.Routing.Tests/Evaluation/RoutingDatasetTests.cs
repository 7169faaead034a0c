using TokenOps.Routing.Evaluation;
using Xunit;

namespace TokenOps.Routing.Tests.Evaluation;

public sealed class RoutingDatasetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tokenops-routing-data-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Reads_quoted_multi_line_prompts_and_leaves_out_contaminated_ones()
    {
        var mmlu = Directory.CreateDirectory(Path.Combine(_dir, "mmlu")).FullName;
        File.WriteAllText(Path.Combine(mmlu, "mmlu_logic.csv"),
            "prompt,mistralai/Mixtral-8x7B-Instruct-v0.1,gpt-4-1106-preview\n" +
            "\"Which is \"\"valid\"\", given p, q?\nA. p\nB. q\nAnswer:\",False,True\n" +
            "Plain question,True,True\r\n" +
            "Contaminated one,False,False\n");
        File.WriteAllText(Path.Combine(mmlu, "contaminated_prompts.jsonl"), "{\"train_prompt\":\"x\",\"eval_prompt\":\"Contaminated one\",\"train_idx\":1,\"eval_idx\":2}\n");

        var rows = RoutingDataset.Load(RoutingDataset.FilesIn(_dir));

        Assert.Equal(2, rows.Count);
        Assert.Equal("Which is \"valid\", given p, q?\nA. p\nB. q\nAnswer:", rows[0].Text);
        Assert.Equal("mmlu/logic", rows[0].Domain);
        Assert.Equal(1, rows[0].Gain);
        Assert.Equal(0, rows[1].Gain);
    }

    [Fact]
    public void Gsm8k_files_keep_their_extra_columns_out_of_the_way()
    {
        var gsm = Directory.CreateDirectory(Path.Combine(_dir, "gsm8k")).FullName;
        File.WriteAllText(Path.Combine(gsm, "gsm8k_responses_dev.csv"),
            "prompt,mistralai/Mixtral-8x7B-Instruct-v0.1,gpt-4-1106-preview,weak answer,strong answer\n" +
            "\"Tom has 3 apples, buys 2. How many?\",True,False,\" 5\n#### 5\",\"5\"\n");
        var rows = RoutingDataset.Load(RoutingDataset.FilesIn(_dir));
        Assert.Equal("gsm8k", Assert.Single(rows).Domain);
        Assert.Equal(-1, rows[0].Gain);
    }

    [Fact]
    public void A_file_without_the_columns_names_what_is_missing()
    {
        var path = Path.Combine(_dir, "other.csv");
        File.WriteAllText(path, "question,answer\nq,a\n");
        var ex = Assert.Throws<RoutingDataException>(() => RoutingDataset.Load([path]));
        Assert.Contains("prompt", ex.Message);
        Assert.Contains("gpt-4-1106-preview", ex.Message);
    }

    [Fact]
    public void A_correctness_value_that_is_not_true_or_false_is_an_error()
    {
        var path = Path.Combine(_dir, "mmlu_x.csv");
        File.WriteAllText(path, "prompt,mistralai/Mixtral-8x7B-Instruct-v0.1,gpt-4-1106-preview\nq,maybe,True\n");
        Assert.Contains("'maybe' is not True or False", Assert.Throws<RoutingDataException>(() => RoutingDataset.Load([path])).Message);
    }
}
