public enum DSVDataset {}
