#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "common.hpp"

namespace sapper::classify {
namespace {
using testing::Data;

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("sapper_classify_" + std::to_string(::getpid()) + "_" + name)).string();
}

void write(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

std::unique_ptr<Model> trained(bool forest) {
  RowMatrix means(3, 4);
  means << 0, 0, 0, 0, 1, 0.3, -0.2, 0.1, 0, 1, 0.1, 0.5;
  const Data d = testing::gaussian_classes(means, 1.0, {50, 40, 30}, 3);
  if (forest) {
    ForestOptions o;
    o.n_trees = 7, o.feature_names = {"energy", "depth", "hog0", "hog1"};
    return std::make_unique<RandomForest>(RandomForest::fit(d.X, d.y, o));
  }
  LogisticOptions o;
  o.feature_names = {"energy", "depth", "hog0", "hog1"};
  return std::make_unique<LogisticRegression>(LogisticRegression::fit(d.X, d.y, o));
}

std::unique_ptr<Model> trained_boosting() {
  RowMatrix means(3, 4);
  means << 0, 0, 0, 0, 1, 0.3, -0.2, 0.1, 0, 1, 0.1, 0.5;
  const Data d = testing::gaussian_classes(means, 1.0, {50, 40, 30}, 3);
  BoostingOptions o;
  o.n_rounds = 5, o.max_leaves = 4, o.min_samples_leaf = 5, o.feature_names = {"energy", "depth", "hog0", "hog1"};
  return std::make_unique<GradientBoosting>(GradientBoosting::fit(d.X, d.y, o));
}

TEST(ClassifyModelIo, RoundTripIsBitExact) {
  const Data probe = testing::gaussian_classes(RowMatrix::Constant(1, 4, 0.3), 2.0, {200}, 99);
  for (bool forest : {false, true}) {
    const auto m = trained(forest);
    const std::string path = temp_path(forest ? "rf.json" : "lr.json");
    m->save(path);
    const auto back = load_model(path);
    std::remove(path.c_str());
    EXPECT_EQ(back->type(), m->type());
    EXPECT_EQ(back->classes(), m->classes());
    EXPECT_EQ(back->feature_names(), m->feature_names());
    EXPECT_EQ(back->to_json(), m->to_json());
    const RowMatrix a = m->predict_proba(probe.X), b = back->predict_proba(probe.X);
    EXPECT_TRUE((a.array() == b.array()).all());
  }
  {
    const auto m = trained_boosting();
    const std::string path = temp_path("gbt.json");
    m->save(path);
    const auto back = load_model(path);
    std::remove(path.c_str());
    ASSERT_EQ(back->type(), "gradient_boosting");
    const auto &a = dynamic_cast<const GradientBoosting&>(*m), &b = dynamic_cast<const GradientBoosting&>(*back);
    EXPECT_EQ(a.init(), b.init());
    EXPECT_EQ(a.learning_rate(), b.learning_rate());
    ASSERT_EQ(a.trees().size(), 15u);
    ASSERT_EQ(b.trees().size(), 15u);
    for (std::size_t t = 0; t < 15; ++t) {
      EXPECT_EQ(a.trees()[t].threshold, b.trees()[t].threshold);
      EXPECT_TRUE((a.trees()[t].value.array() == b.trees()[t].value.array()).all());
    }
    const RowMatrix pa = m->predict_proba(probe.X), pb = back->predict_proba(probe.X);
    EXPECT_TRUE((pa.array() == pb.array()).all());
  }
  // every parameter, not only the predictions
  const auto m = trained(false);
  const auto& lr = dynamic_cast<const LogisticRegression&>(*m);
  const auto loaded = model_from_json(m->to_json());
  const auto& lb = dynamic_cast<const LogisticRegression&>(*loaded);
  EXPECT_TRUE((lr.coef().array() == lb.coef().array()).all());
  EXPECT_TRUE((lr.mean().array() == lb.mean().array()).all());
  EXPECT_TRUE((lr.scale().array() == lb.scale().array()).all());
  EXPECT_TRUE((lr.intercept().array() == lb.intercept().array()).all());
}

// The error is a FormatError whose message names the file and contains `field`.
void expect_error(const std::string& text, const std::string& field) {
  const std::string path = temp_path("bad.json");
  write(path, text);
  try {
    load_model(path);
    ADD_FAILURE() << "no error for " << text.substr(0, 200);
  } catch (const FormatError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find(field), std::string::npos) << msg;
  }
  std::remove(path.c_str());
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const auto p = s.find(from);
  EXPECT_NE(p, std::string::npos) << from;
  return p == std::string::npos ? s : s.replace(p, from.size(), to);
}

// `s` with the first array element after `key` replaced by `to`.
std::string replace_first(const std::string& s, const std::string& key, const std::string& to) {
  const auto p = s.find(key);
  EXPECT_NE(p, std::string::npos) << key;
  const auto b = p + key.size(), e = s.find_first_of(",]", b);
  return s.substr(0, b) + to + s.substr(e);
}

TEST(ClassifyModelIo, CorruptFilesGiveClearErrors) {
  const std::string lr = trained(false)->to_json(), rf = trained(true)->to_json();
  expect_error(lr.substr(0, lr.size() / 2), "not valid JSON");
  expect_error(rf.substr(0, rf.size() - 3), "not valid JSON");
  expect_error("", "not valid JSON");
  expect_error("hello", "not valid JSON");
  expect_error("[1, 2]", "not a JSON object");
  expect_error(replace(lr, "\"version\":1", "\"version\":2"), "version");
  expect_error(replace(lr, "\"version\":1", "\"version\":\"1\""), "version");
  expect_error(replace(lr, "sapper-model", "other-model"), "format");
  expect_error(replace(lr, "logistic_regression", "svm"), "type");
  expect_error(replace(lr, "\"intercept\":[", "\"intercept\":[1.0,"), "intercept");
  expect_error(replace(lr, "\"coef\":[[", "\"coef\":[[NaN,"), "not valid JSON");  // NaN is not JSON
  expect_error(replace(lr, "\"coef\":[[", "\"coef\":[[null,"), "coef[0]");
  expect_error(replace(lr, "\"coef\":[[", "\"coef\":[[1e999,"), "1e999");
  expect_error(replace(lr, "\"scale\":[", "\"scale\":[-1,"), "scale");
  expect_error(replace(lr, "\"mean\"", "\"average\""), "mean");
  expect_error(replace(lr, "\"classes\":[", "\"classes\":[3,"), "classes[0]");
  expect_error(replace(lr, "\"feature_names\":[\"energy\",", "\"feature_names\":["), "mean");
  expect_error(replace(rf, "\"left\":[1,", "\"left\":[0,"), "trees[0]");
  expect_error(replace(rf, "\"left\":[1,", "\"left\":[99999,"), "trees[0].left[0]");
  expect_error(replace(rf, "\"feature\":[", "\"feature\":[17,"), "trees[0].feature");
  expect_error(replace(rf, "\"trees\":[", "\"trees\":[{},"), "trees[0].feature");
  expect_error(replace(rf, "\"value\":[[", "\"value\":[[0.5,"), "trees[0].value[0]");
  EXPECT_THROW(load_model(temp_path("does_not_exist.json")), FormatError);

  const std::string gb = trained_boosting()->to_json();
  expect_error(gb.substr(0, gb.size() - 10), "not valid JSON");
  expect_error(replace(gb, "gradient_boosting", "gradient_boosted"), "type");
  expect_error(replace(gb, "\"learning_rate\":", "\"learning_rate\":-"), "learning_rate");
  expect_error(replace(gb, "\"learning_rate\"", "\"shrinkage\""), "learning_rate");
  expect_error(replace(gb, "\"init\":[", "\"init\":[0.5,"), "init");
  expect_error(replace_first(gb, "\"init\":[", "\"x\""), "init[0]");
  expect_error(replace(gb, "\"trees\":[", "\"trees\":[{\"feature\":[-1],\"threshold\":[0],\"left\":[-1],\"right\":[-1],\"value\":[0.5]},"),
               "multiple");
  expect_error(replace(gb, "\"left\":[1,", "\"left\":[0,"), "trees[0]");
  expect_error(replace(gb, "\"left\":[1,", "\"left\":[99999,"), "trees[0].left[0]");
  expect_error(replace(gb, "\"right\":[2,", "\"right\":[1,"), "trees[0]");
  expect_error(replace(gb, "\"feature\":[", "\"feature\":[17,"), "trees[0].feature");
  expect_error(replace_first(gb, "\"value\":[", "1e999"), "1e999");
  expect_error(replace_first(gb, "\"value\":[", "true"), "trees[0].value[0]");
  expect_error(replace(gb, "\"value\":[", "\"value\":[0.5,"), "trees[0].value");
  expect_error(replace_first(gb, "\"value\":[", "[0.5]"), "trees[0].value[0]");
  expect_error(replace(gb, "\"threshold\":[", "\"threshold\":[null,"), "trees[0].threshold");
}

}  // namespace
}  // namespace sapper::classify
