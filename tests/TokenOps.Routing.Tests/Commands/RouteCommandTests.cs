using System.Diagnostics;
using System.Text.Json;
using Xunit;

namespace TokenOps.Routing.Tests.Commands;

/// <summary>`tokenops route eval` as a user runs it: a real process, here inside a network namespace with no network at
/// all (unshare -n), which proves the scorer and MiniLM load from the installed packages.</summary>
public sealed class RouteCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tokenops-route-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteMmlu()
    {
        var path = Path.Combine(_dir, "mmlu_toy.csv");
        var lines = new List<string> { "prompt,mistralai/Mixtral-8x7B-Instruct-v0.1,gpt-4-1106-preview" };
        for (var i = 0; i < 20; i++)
            lines.Add($"\"Question {i}: which of the following holds when x = {i}?\nA. x > {i - 1}\nB. x < {i}\nC. x = {i + 1}\nD. none\nAnswer:\",{(i % 3 == 0 ? "True" : "False")},{(i % 2 == 0 ? "True" : "False")}");
        File.WriteAllLines(path, lines);
        return path;
    }

    private static (int Code, string Out, string Err) Run(bool withoutNetwork, params string[] args)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "tokenops.dll");
        var start = new ProcessStartInfo(withoutNetwork ? "unshare" : "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        if (withoutNetwork) { start.ArgumentList.Add("-n"); start.ArgumentList.Add("dotnet"); }
        start.ArgumentList.Add(cli);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(120_000), "tokenops did not finish");
        return (process.ExitCode, output.Result, error.Result);
    }

    [Fact]
    public void Eval_prints_the_scorer_beside_random_and_prompt_length_without_any_network()
    {
        var (code, output, error) = Run(withoutNetwork: true, "route", "eval", WriteMmlu(), "--dial", "0.25", "--format", "json");
        Assert.True(code == 0, error);
        using var doc = JsonDocument.Parse(output);
        var group = Assert.Single(doc.RootElement.EnumerateArray().ToArray());
        Assert.Equal("MMLU", group.GetProperty("group").GetString());
        Assert.Equal(20, group.GetProperty("prompts").GetInt32());
        Assert.Equal(0.25, group.GetProperty("dial").GetDouble());
        var routers = group.GetProperty("routers").EnumerateArray().Select(r => r.GetProperty("router").GetString()!).ToArray();
        Assert.Equal(["scorer (shipped weights)", "random", "prompt length"], routers);
        foreach (var r in group.GetProperty("routers").EnumerateArray())
            Assert.InRange(r.GetProperty("cpt50").GetDouble(), 0, 1);
    }

    [Fact]
    public void Eval_table_names_the_measures()
    {
        var (code, output, error) = Run(withoutNetwork: false, "route", "eval", WriteMmlu());
        Assert.True(code == 0, error);
        Assert.Contains("APGR", output);
        Assert.Contains("CPT(50%)", output);
        Assert.Contains("CPT(80%)", output);
        Assert.Contains("PGR@30%", output);
    }

    [Theory]
    [InlineData("route")]
    [InlineData("route", "eval")]
    [InlineData("route", "train")]
    [InlineData("route", "features")]
    public void Every_route_command_has_help(params string[] command)
    {
        var (code, output, _) = Run(false, [.. command, "--help"]);
        Assert.Equal(0, code);
        Assert.Contains("Usage:", output);
    }

    [Fact]
    public void Leave_domain_out_needs_the_data_directory()
    {
        var (code, _, error) = Run(false, "route", "eval", "--leave-domain-out");
        Assert.Equal(2, code);
        Assert.Contains("--data", error);
    }

    [Theory]
    [InlineData("--dial", "1.5")]
    [InlineData("--dial", "-0.1")]
    public void A_dial_out_of_range_is_a_usage_error(params string[] extra)
    {
        var (code, _, error) = Run(false, ["route", "eval", WriteMmlu(), .. extra]);
        Assert.Equal(2, code);
        Assert.Contains("--dial", error);
    }

    [Fact]
    public void A_missing_file_or_wrong_columns_is_a_one_line_error()
    {
        var (code, _, error) = Run(false, "route", "eval", Path.Combine(_dir, "absent.csv"));
        Assert.Equal(2, code);
        Assert.Contains("no such file", error);
        var bad = Path.Combine(_dir, "bad.csv");
        File.WriteAllText(bad, "a,b\n1,2\n");
        (code, _, error) = Run(false, "route", "eval", bad);
        Assert.Equal(2, code);
        Assert.Contains("needs the columns prompt", error);
    }
}
